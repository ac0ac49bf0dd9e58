# SPDX-License-Identifier: Apache-2.0
# Seed steps 5-6: logout destroys the session (memcached key deleted, cookie
# expired); afterwards profile redirects to login and protected is 401.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use SDTest qw(new_client mc_get cookie_value session_id login);

plan tests => 13;

# Not logged in at all.
new_client();
my $res = GET '/profile';
is($res->code, 302, 'profile without login redirects');
is($res->header('Location'), '/login', '... to /login');
$res = GET '/protected';
is($res->code, 401, 'protected without login is 401');
is($res->content, 'Unauthorized', '... with "Unauthorized"');

my $jar = new_client();
$res = login('bob');
my $id = session_id(cookie_value($res));
ok(scalar(() = SDTest::mc_get_session($id)), 'session stored after login');

$res = POST '/logout', content => '';
is($res->code, 302, 'logout redirects');
is($res->header('Location'), '/', '... to home');
like(join("\n", $res->header('Set-Cookie')),
     qr{^connect\.sid=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT}, 'cookie expired');
ok(!scalar(() = SDTest::mc_get_session($id)), 'memcached key deleted');

$res = GET '/';
like($res->content, qr{<strong>Name:</strong> Guest</p>}, 'home is the guest view after logout');
$res = GET '/profile';
is($res->header('Location'), '/login', 'profile redirects to login after logout');
$res = GET '/protected';
is($res->code, 401, 'protected is 401 after logout');

# The old cookie replayed after logout is worthless.
$res = GET '/protected', Cookie => "connect.sid=" . cookie_value(login_response_for_replay());
is($res->code, 401, 'a replayed pre-logout cookie does not log in');

sub login_response_for_replay {
    # Re-issue a cookie for $id as it was before logout.
    my $fake = HTTP::Response->new(200);
    $fake->header('Set-Cookie' => "connect.sid=" . SDTest::sign_id($id, 'apache-test only: 3c5a0f8e9d2b4e6f8a1c3e5d7f9b2d4e') . "; Path=/");
    return $fake;
}
