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

# Checks that curl($args, $url) answers with $code; returns the answer.
sub answers {
    my ($code, $url, $args, $name) = @_;
    my $res = curl($args, $url);
    like($res, qr{^HTTP/1\.1 $code}m, $name);
    return $res;
}

my $res = answers(302, "$base/login", '-d username=xena -d password=pw', 'login over TLS redirects');
my ($cookie) = $res =~ /^Set-Cookie: (tls\.sid=[^\r\n]+)/mi;
like($cookie // '', qr{; HttpOnly; Secure; SameSite=Lax$}, 'Secure Auto: the cookie is Secure over TLS');
my ($value) = ($cookie // '') =~ /^tls\.sid=([^;]+)/;
my ($id) = ($value // '') =~ /^s%3A([A-Za-z0-9_-]+)\./;
my (undef, $data) = SDTest::mc_get_session(($id // 'none'));
like($data // '', qr/"secure":true/, 'the stored cookie records secure');

answers(200, "$base/protected", "-H 'Cookie: tls.sid=$value'",
        'the Secure cookie works over TLS');
answers(200, "$base/add-to-cart", "-H 'Origin: $base' -H 'Cookie: tls.sid=$value' -d item=x",
        'same-origin check uses https:// over TLS');
answers(403, "$base/add-to-cart", "-H 'Origin: http://localhost:$port' -H 'Cookie: tls.sid=$value' -d item=x",
        'an http:// origin is not the https:// site');

# A __Host- cookie name (docs/security.md recommends it for TLS sites): no
# sibling host can plant a cookie of that name.
my $hport = Apache::Test::vars('sd_tls_host_port') or die 'no sd_tls_host vhost port';
$res = curl('-d username=xena -d password=pw', "https://localhost:$hport/login");
($cookie) = $res =~ /^Set-Cookie: (__Host-sid=[^\r\n]+)/mi;
like($cookie // '', qr{^__Host-sid=s%3A[^;]+; Path=/; Expires=[^;]+; HttpOnly; Secure; SameSite=Lax$},
     '__Host-sid: Secure, Path=/, no Domain');
($value) = ($cookie // '') =~ /^__Host-sid=([^;]+)/;
for (["__Host-sid=$value", '... and the session works with it'],
     ["a=1; __Host-sid=$value", '... also next to other cookies'],
     ["__Host-sid=$value; __Host-sid=s%3Aforged.x", '... and a second one that does not verify is ignored']) {
    answers(200, "https://localhost:$hport/protected", "-H 'Cookie: $_->[0]'", $_->[1]);
}
