# SPDX-License-Identifier: Apache-2.0
# Seed step 2: a guest who only looks gets the guest page, no cookie, and
# causes no memcached traffic (saveUninitialized Off, lazy loading).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET HEAD POST);
use SDTest qw(new_client mc_stats);

plan tests => 24;

new_client();
my $before = mc_stats();

my $res = GET '/';
is($res->code, 200, 'GET / answers 200');
like($res->content, qr{<strong>Name:</strong> Guest</p>}, 'guest name shown');
like($res->content, qr{<strong>Status:</strong> Guest</p>}, 'guest status shown');
like($res->content, qr{<a href="/login">Login</a>}, 'login link shown');
unlike($res->content, qr{Logout}, 'no logout button for guests');
ok(!defined $res->header('Set-Cookie'), 'no Set-Cookie for a guest who only looks');
like($res->header('Content-Type'), qr{^text/html; charset=utf-8}, 'HTML content type');
is($res->header('Cache-Control'), 'no-store', 'per-visitor page is not cacheable');

$res = GET '/login';
is($res->code, 200, 'GET /login answers 200');
like($res->content, qr{<form method="POST" action="/login">}, 'login form posts to /login');
like($res->content, qr{name="username"}, 'username field');
like($res->content, qr{type="password" id="password" name="password"}, 'password field');
unlike($res->content, qr{Please enter both}, 'no error without ?error=1');

$res = GET '/login?error=1';
like($res->content, qr{Please enter both username and password\.}, '?error=1 shows the error');

$res = GET '/cart';
is($res->content, '{"items":[]}', 'empty cart for a visitor without session');
ok(!defined $res->header('Set-Cookie'), 'reading the cart creates no session');

my $after = mc_stats();
is($after->{cmd_get} - $before->{cmd_get}, 0, 'no memcached get for guests without a cookie');
is($after->{cmd_set} - $before->{cmd_set}, 0, 'no memcached write for guests who only look');

$res = HEAD '/';
is($res->code, 200, 'HEAD / answers 200');

$res = GET '/no/such/page';
is($res->code, 404, 'unknown path is 404');
like($res->content, qr{Not Found}, '404 has a readable page');

$res = POST '/profile', content => '';
is($res->code, 405, 'POST to a GET route is 405');
is($res->header('Allow'), 'GET, HEAD', '405 names the allowed methods');

$res = GET '/logout';
is($res->header('Allow'), 'POST', 'GET /logout is refused with Allow: POST');
