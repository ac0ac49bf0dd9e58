# SPDX-License-Identifier: Apache-2.0
# Seed steps 3-4: login, refresh keeps you logged in with a rising visit
# count, the flash message is shown once, the profile shows the session, and
# what lands in memcached has express-session's shape.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use SDTest qw(new_client mc_get cookie_value session_id login);
use JSON::PP ();

plan tests => 33;

new_client();

# Missing fields: back to the form with an error, no session.
my $res = POST '/login', [username => 'alice', password => ''];
is($res->code, 302, 'login without password redirects');
is($res->header('Location'), '/login?error=1', '... to the form with an error');
ok(!defined $res->header('Set-Cookie'), '... and creates no session');
$res = POST '/login', [password => 'x'];
is($res->header('Location'), '/login?error=1', 'login without username redirects to the error');

$res = login('alice', 'secret');
is($res->code, 302, 'login redirects');
is($res->header('Location'), '/', '... to home');
my $set_cookie = join "\n", $res->header('Set-Cookie');
like($set_cookie,
     qr{^connect\.sid=s%3A[A-Za-z0-9_-]{32}\.[A-Za-z0-9%]{43,}; Path=/; Expires=\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT; HttpOnly; SameSite=Lax$},
     'Set-Cookie has express-session format and attributes');
unlike($set_cookie, qr{Max-Age}, 'no Max-Age, as express-session');
my $id = session_id(cookie_value($res));
ok($id, "session ID issued ($id)");

# What memcached holds.
my ($flags, $data) = SDTest::mc_get_session($id);
is($flags, 2, 'stored with flags 2 (connect-memcached JSON)');
like($data, qr/^\{"cookie":\{"originalMaxAge":86400000,"expires":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","httpOnly":true,"path":"\/","sameSite":"lax"\},/,
     'compact JSON with the cookie object first');
my $stored = JSON::PP::decode_json($data);
is($stored->{isLoggedIn}, JSON::PP::true, 'isLoggedIn stored');
is($stored->{username}, 'alice', 'username stored');
like($stored->{loginTime}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'loginTime is ISO 8601 with ms');
is($stored->{visitCount}, 0, 'visitCount starts at 0');
unlike($data, qr/secret/, 'the password is never stored');

# First view: the flash message, once.
$res = GET '/';
like($res->content, qr{<strong>Name:</strong> alice</p>}, 'home shows the username');
like($res->content, qr{<strong>Status:</strong> Logged In</p>}, 'home shows Logged In');
like($res->content, qr{Welcome, alice!}, 'flash message shown after login');
like($res->content, qr{<strong>Visit Count:</strong> 0</p>}, 'first view shows count 0');
like($res->content, qr{<strong>Login Time:</strong> \d{4}-\d\d-\d\dT}, 'login time shown');
like($res->content, qr{action="/logout"}, 'logout form shown');

# Refresh: still logged in, flash gone, count rising.
$res = GET '/';
unlike($res->content, qr{Welcome, alice!}, 'flash message not shown twice');
like($res->content, qr{<strong>Visit Count:</strong> 1</p>}, 'refresh: count 1');
$res = GET '/';
like($res->content, qr{<strong>Visit Count:</strong> 2</p>}, 'refresh: count 2');
is(session_id(cookie_value($res)) // $id, $id, 'the session ID stays the same across views');

($flags, $data) = SDTest::mc_get_session($id);
is(JSON::PP::decode_json($data)->{visitCount}, 3, 'memcached holds the incremented count');
ok(!exists JSON::PP::decode_json($data)->{flash}, 'the flash is gone from the store');

# Profile and protected content.
$res = GET '/profile';
is($res->code, 200, 'profile answers 200 when logged in');
like($res->content, qr{<h2>Welcome, alice!</h2>}, 'profile shows the username');
like($res->content, qr{<strong>Visit Count:</strong> 3</p>}, 'profile shows the visit count');
$res = GET '/protected';
is($res->code, 200, 'protected answers 200 when logged in');
is($res->content, 'Protected content', 'protected content shown');
