# SPDX-License-Identifier: Apache-2.0
# Login regenerates the session: a new ID, the old key deleted, the old
# data dropped (express-session's regenerate), so a planted ID is useless.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use SDTest qw(new_client mc_get cookie_value session_id login);

plan tests => 7;

new_client();
my $res = POST '/add-to-cart', [item => 'pre-login item'];
is($res->code, 200, 'a guest can fill a cart');
my $guest_id = session_id(cookie_value($res));
ok($guest_id, 'the cart created a guest session');
ok(scalar(() = SDTest::mc_get_session($guest_id)), 'guest session stored');

$res = login('carol');
my $user_id = session_id(cookie_value($res));
ok($user_id, 'login issues a session cookie');
isnt($user_id, $guest_id, 'login issues a NEW session ID');
ok(!scalar(() = SDTest::mc_get_session($guest_id)), 'the pre-login key is deleted');

$res = GET '/cart';
is($res->content, '{"items":[]}', 'pre-login data is not carried into the new session');
