# SPDX-License-Identifier: Apache-2.0
# Cookie attributes from SessionDemoCookie* and SessionDemoKeyPrefix,
# Secure handling (On, Auto over TLS / a trusted proxy), and no Set-Cookie
# for a Secure cookie over plain http.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use SDTest qw(use_vhost login cookie_value session_id mc_get);

plan tests => 15;

use_vhost('sd_cookieopts');
my $res = login('pat');
my $header = join "\n", $res->header('Set-Cookie');
like($header, qr{^opts\.sid=s%3A[^;]+; Domain=localhost\.example; Path=/; Expires=[^;]+; SameSite=Strict$},
     'Domain, Path, SameSite=Strict, no HttpOnly, in express-session order');
my $id = session_id(cookie_value($res));
ok(scalar(() = SDTest::mc_get_session($id, 'opts:')), 'SessionDemoKeyPrefix opts: is used for the key');
my (undef, $data) = SDTest::mc_get_session($id, 'opts:');
like($data, qr/^\{"cookie":\{"originalMaxAge":86400000,"expires":"[^"]+","httpOnly":false,"domain":"localhost\.example","path":"\/","sameSite":"strict"\}/,
     'the stored cookie object carries the same options');

# A logout expires the Domain cookie and a host-only one beside it (set
# before the Domain was, or planted): review of issue 20, F5.
$res = POST '/logout', [], Cookie => 'opts.sid=' . cookie_value(login('pat'));
is(join('|', map { /^opts\.sid=;( Domain=localhost\.example;)? Path=\/; Expires=Thu, 01 Jan 1970/ ? ($1 ? 'domain' : 'host') : 'other' }
                 $res->header('Set-Cookie')),
   'domain|host', 'logout with SessionDemoCookieDomain: the Domain cookie and the host-only one expire');

use_vhost('sd_plain');
# SameSite Off: a POST must say where it comes from (t/security/origin.t).
$res = POST '/login', [username => 'quinn', password => 'pw'],
            Origin => 'http://' . Apache::TestRequest::hostport();
$header = join "\n", $res->header('Set-Cookie');
like($header, qr{^plain\.sid=s%3A[^;]+; Path=/; Expires=[^;]+; HttpOnly$}, 'SameSite Off: no SameSite attribute');
$id = session_id(cookie_value($res));
ok(scalar(() = SDTest::mc_get_session($id, '')), 'SessionDemoKeyPrefix "": the key has no prefix (connect-memcached default)');

use_vhost('sd_secure');
$res = login('rita');
is($res->code, 302, 'Secure On over http: login still works');
ok(!defined $res->header('Set-Cookie'), 'Secure On over http: no Set-Cookie (the browser would drop it)');

use_vhost(undef);
$res = POST '/login', [username => 'sam', password => 'pw'], 'X-Forwarded-Proto' => 'https';
unlike(join("\n", $res->header('Set-Cookie')), qr/Secure/, 'Auto without TrustProxy ignores X-Forwarded-Proto');

use_vhost('sd_proxy');
$res = POST '/login', [username => 'tina', password => 'pw'], 'X-Forwarded-Proto' => 'https';
like(join("\n", $res->header('Set-Cookie')), qr{; HttpOnly; Secure; SameSite=Lax$},
     'Auto + TrustProxy: X-Forwarded-Proto https gives Secure');
$id = session_id(cookie_value($res));
(undef, $data) = SDTest::mc_get_session($id);
like($data, qr/"secure":true,"httpOnly":true/, 'the stored cookie records secure');
$res = POST '/login', [username => 'tina', password => 'pw'], 'X-Forwarded-Proto' => 'HTTPS, http';
like(join("\n", $res->header('Set-Cookie')), qr/; Secure;/, 'the first X-Forwarded-Proto value counts');
$res = POST '/login', [username => 'tina', password => 'pw'], 'X-Forwarded-Proto' => 'http';
unlike(join("\n", $res->header('Set-Cookie') // ''), qr/Secure/, 'X-Forwarded-Proto http: no Secure');
$res = POST '/login', [username => 'tina', password => 'pw'];
ok(defined cookie_value($res) && join("\n", $res->header('Set-Cookie')) !~ /Secure/,
   'no X-Forwarded-Proto: plain cookie');

use_vhost(undef);
$res = GET '/';
is($res->header('Set-Cookie'), undef, 'looking at a page sets no cookie');
