# SPDX-License-Identifier: Apache-2.0
# SessionDemoCookieSecure Auto over httpd's own TLS: the cookie is Secure,
# the stored cookie says so, and the session works over https.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use SDTest qw(mc_get);

plan tests => 6;

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
