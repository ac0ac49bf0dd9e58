# SPDX-License-Identifier: Apache-2.0
# Cross-site request forgery: POSTs a browser sends from another origin are
# refused with 403; same-origin forms and clients without Origin work.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use SDTest qw(use_vhost login cookie_value session_id);

plan tests => 25;

my $vars = Apache::Test::vars();

sub own_origin { 'http://' . Apache::TestRequest::hostport() }

use_vhost(undef);
my $res = POST '/login', [username => 'uma', password => 'pw'], Origin => 'http://evil.example';
is($res->code, 403, 'login from another origin: 403');
like($res->content, qr/submitted from another site/, '... with a readable page');
ok(!defined $res->header('Set-Cookie'), '... and no session');

$res = POST '/login', [username => 'uma', password => 'pw'], Origin => own_origin();
is($res->code, 302, 'login from our own origin works');
ok(cookie_value($res), '... and logs in');

$res = POST '/add-to-cart', [item => 'x'], Origin => 'null';
is($res->code, 403, 'Origin: null (sandboxed or file page) is refused');
like($res->header('Content-Type'), qr{^application/json}, '... as JSON on a JSON route');
$res = POST '/add-to-cart', [item => 'x'], 'Sec-Fetch-Site' => 'cross-site';
is($res->code, 403, 'Sec-Fetch-Site: cross-site is refused');
$res = POST '/add-to-cart', [item => 'x'], 'Sec-Fetch-Site' => 'same-site';
is($res->code, 403, 'Sec-Fetch-Site: same-site (a sibling subdomain) is refused');
$res = POST '/add-to-cart', [item => 'x'], 'Sec-Fetch-Site' => 'same-origin', Origin => own_origin();
is($res->code, 200, 'Sec-Fetch-Site: same-origin works');
$res = POST '/logout', content => '', Origin => 'https://evil.example';
is($res->code, 403, 'cross-origin logout is refused too');
$res = POST '/add-to-cart', [item => 'y'];
is($res->code, 200, 'a client without Origin (curl, scripts) works');

# Referer when there is no Origin; the own origin is the configured
# ServerName and port, not the client's Host.
$res = POST '/login', [username => 'uma', password => 'pw'], Referer => 'http://evil.example/page';
is($res->code, 403, 'a cross-site Referer without Origin is refused');
$res = POST '/add-to-cart', [item => 'x'], Referer => 'http://evil.example/';
like($res->header('Content-Type'), qr{^application/json}, '... as JSON on a JSON route');
$res = POST '/login', [username => 'uma', password => 'pw'], Referer => own_origin() . '/login';
is($res->code, 302, 'a same-origin Referer without Origin works');
$res = POST '/add-to-cart', [item => 'x'], Referer => 'not a url';
is($res->code, 403, 'a Referer that is not an absolute URL is refused');
$res = POST '/add-to-cart', [item => 'x'], Host => 'evil.example', Origin => 'http://evil.example';
is($res->code, 403, 'an Origin that matches a forged Host header is still refused (ServerName decides)');

use_vhost('sd_samesite_none');
$res = POST '/add-to-cart', [item => 'x'];
is($res->code, 403, 'SameSite None: a POST with no Origin, Referer or Sec-Fetch-Site is refused');
$res = POST '/add-to-cart', [item => 'x'], Origin => own_origin();
is($res->code, 200, 'SameSite None: a same-origin POST works');

use_vhost('sd_plain');
$res = POST '/add-to-cart', [item => 'x'];
is($res->code, 403, 'no SameSite (Off, which Firefox and Safari treat as None): a header-less POST is refused');

use_vhost('sd_proxy');
$res = POST '/add-to-cart', [item => 'x'], Origin => 'https://app.example.org';
is($res->code, 200, 'SessionDemoTrustedOrigin lets a listed origin in');

# Behind a TLS proxy the browser's origin is the proxy's: https, its port.
use_vhost('sd_proxy_bare');
$res = POST '/add-to-cart', [item => 'x'], 'X-Forwarded-Proto' => 'https', Origin => 'https://localhost';
is($res->code, 200, 'behind a TLS proxy (ServerName without a port): https on the default port is our origin');
$res = POST '/add-to-cart', [item => 'x'], 'X-Forwarded-Proto' => 'https',
            Origin => 'https://localhost:' . (split /:/, Apache::TestRequest::hostport())[1];
is($res->code, 403, 'behind a proxy, the backend\'s own port is not the origin the browser saw');
$res = POST '/add-to-cart', [item => 'x'], 'X-Forwarded-Proto' => 'https', 'X-Forwarded-Port' => '8443',
            Origin => 'https://localhost:8443';
is($res->code, 200, '... the proxy\'s is (X-Forwarded-Port), with SessionDemoTrustProxy On');

use_vhost('sd_nocheck');
$res = POST '/add-to-cart', [item => 'x'], Origin => 'http://evil.example';
is($res->code, 200, 'SessionDemoCheckOrigin Off disables the check');
