# SPDX-License-Identifier: Apache-2.0
# SessionDemoCookieSecure Auto over httpd's own TLS: the cookie is Secure,
# the stored cookie says so, and the session works over https.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use SDTest qw(mc_get);

plan tests => 10;

my $port = Apache::Test::vars('sd_tls_port') or die 'no sd_tls vhost port';
my $base = "https://localhost:$port";

sub curl {
    my (@args) = @_;
    my $out = `curl -sk -i --max-time 10 @args 2>&1`;
    return $out;
}

my $res = curl('-d username=xena -d password=pw', "$base/login");
like($res, qr{^HTTP/1\.1 302}m, 'login over TLS redirects');
my ($cookie) = $res =~ /^Set-Cookie: (tls\.sid=[^\r\n]+)/mi;
like($cookie // '', qr{; HttpOnly; Secure; SameSite=Lax$}, 'Secure Auto: the cookie is Secure over TLS');
my ($value) = ($cookie // '') =~ /^tls\.sid=([^;]+)/;
my ($id) = ($value // '') =~ /^s%3A([A-Za-z0-9_-]+)\./;
my (undef, $data) = SDTest::mc_get_session(($id // 'none'));
like($data // '', qr/"secure":true/, 'the stored cookie records secure');

$res = curl("-H 'Cookie: tls.sid=$value'", "$base/protected");
like($res, qr{^HTTP/1\.1 200}m, 'the Secure cookie works over TLS');
$res = curl("-H 'Origin: $base' -H 'Cookie: tls.sid=$value' -d item=x", "$base/add-to-cart");
like($res, qr{^HTTP/1\.1 200}m, 'same-origin check uses https:// over TLS');
$res = curl("-H 'Origin: http://localhost:$port' -H 'Cookie: tls.sid=$value' -d item=x", "$base/add-to-cart");
like($res, qr{^HTTP/1\.1 403}m, 'an http:// origin is not the https:// site');

# A __Host- cookie name (docs/security.md recommends it for TLS sites): no
# sibling host can plant a cookie of that name.
my $hport = Apache::Test::vars('sd_tls_host_port') or die 'no sd_tls_host vhost port';
$res = curl('-d username=xena -d password=pw', "https://localhost:$hport/login");
($cookie) = $res =~ /^Set-Cookie: (__Host-sid=[^\r\n]+)/mi;
like($cookie // '', qr{^__Host-sid=s%3A[^;]+; Path=/; Expires=[^;]+; HttpOnly; Secure; SameSite=Lax$},
     '__Host-sid: Secure, Path=/, no Domain');
($value) = ($cookie // '') =~ /^__Host-sid=([^;]+)/;
$res = curl("-H 'Cookie: __Host-sid=$value'", "https://localhost:$hport/protected");
like($res, qr{^HTTP/1\.1 200}m, '... and the session works with it');
$res = curl("-H 'Cookie: a=1; __Host-sid=$value'", "https://localhost:$hport/protected");
like($res, qr{^HTTP/1\.1 200}m, '... also next to other cookies');
$res = curl("-H 'Cookie: __Host-sid=$value; __Host-sid=s%3Aforged.x'", "https://localhost:$hport/protected");
like($res, qr{^HTTP/1\.1 200}m, '... and a second one that does not verify is ignored');
