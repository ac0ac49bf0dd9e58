# SPDX-License-Identifier: Apache-2.0
# Bad cookies make a guest, never an error: tampered, truncated, unsigned,
# wrong secret, unknown ID. A rotated (old) secret still verifies and the
# cookie is re-issued under the current one.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use SDTest qw(new_client mc_get mc_set mc_stats cookie_value session_id login sign_id in_realm);

plan tests => 27;

my $current = 'apache-test only: 3c5a0f8e9d2b4e6f8a1c3e5d7f9b2d4e';
my $retired = 'retired test secret, verify only';

new_client();
my $res = login('erin');
my $good = cookie_value($res);
my $id = session_id($good);

sub view_with {
    my ($cookie) = @_;
    Apache::TestRequest::user_agent(reset => 1, requests_redirectable => 0);
    return GET '/protected', Cookie => $cookie;
}

is(view_with("connect.sid=$good")->code, 200, 'the genuine cookie is logged in');

(my $tampered = $good) =~ s/\.(.)/'.' . ($1 eq 'A' ? 'B' : 'A')/e;
my $before = mc_stats();
is(view_with("connect.sid=$tampered")->code, 401, 'tampered signature is a guest');
is(mc_stats()->{cmd_get} - $before->{cmd_get}, 0, '... and causes no memcached lookup');
is(view_with('connect.sid=' . substr($good, 0, 40))->code, 401, 'truncated cookie is a guest');
is(view_with("connect.sid=$id")->code, 401, 'unsigned bare ID is a guest');
is(view_with('connect.sid=' . sign_id($id, 'not our secret'))->code, 401, 'wrong secret is a guest');
is(view_with('connect.sid=' . sign_id('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', $current))->code, 401,
   'validly signed unknown ID is a guest');
is(view_with("connect.sid=$good" . '%ZZ')->code, 401, 'broken %-escape is a guest');
is(view_with('connect.sid=' . ('x' x 8000))->code, 401, 'an 8000-byte cookie is a guest');
is(view_with('connect.sid=' . ('x' x 9000))->code, 400, 'a cookie over LimitRequestFieldSize is refused by httpd with 400');
is(view_with("connect.sid=\xff\xfe\x80")->code, 401, 'non-UTF-8 cookie is a guest');
is(view_with("connect.sid=bad; connect.sid=$good")->code, 200,
   'a cookie of our name that does not verify, before the genuine one, is ignored (express takes the first)');
is(view_with("other=1; connect.sid=$good")->code, 200, 'other cookies before ours are fine');

my $page = view_with("connect.sid=$tampered");
ok(!grep({ /^connect\.sid=s/ } $page->header('Set-Cookie')), 'no new session is created just for looking');

# A corrupt stored value is a guest, not a 500.
my $bogus = 'CorruptStoredValue0123456789abcd';
SDTest::mc_set_session($bogus, 2, 60, 'this is not json');
is(view_with('connect.sid=' . sign_id($bogus, $current))->code, 401, 'non-JSON stored value is a guest');
SDTest::mc_set_session($bogus, 0, 60, in_realm('{"cookie":{},"isLoggedIn":true}'));
is(view_with('connect.sid=' . sign_id($bogus, $current))->code, 401, 'wrong flags are a guest');
SDTest::mc_set_session($bogus, 2, 60, '[1,2,{"isLoggedIn":true}]');
is(view_with('connect.sid=' . sign_id($bogus, $current))->code, 401, 'a stored array (not an object) is a guest');
SDTest::mc_set_session($bogus, 2, 60, in_realm('{"cookie":"not an object","isLoggedIn":true}'));
is(view_with('connect.sid=' . sign_id($bogus, $current))->code, 401, 'a stored session whose cookie is not an object is a guest');
SDTest::mc_set_session($bogus, 2, 60, in_realm('{"cookie":{},"isLoggedIn":true,"x":' . ('[' x 5000) . (']' x 5000) . '}'));
is(view_with('connect.sid=' . sign_id($bogus, $current))->code, 401, 'a stored value nested 5000 deep is a guest');
SDTest::mc_set_session($bogus, 2, 60, in_realm('{"cookie":{},"isLoggedIn":true,"pad":"' . ('x' x (1100 * 1024)) . '"}'));
is(view_with('connect.sid=' . sign_id($bogus, $current))->code, 401, 'a stored value over 1 MiB is a guest');
SDTest::mc_set_session($bogus, 2, 60, in_realm("{\"cookie\":{},\"isLoggedIn\":true,\"username\":\"\xff\xfe\"}"));
is(view_with('connect.sid=' . sign_id($bogus, $current))->code, 401, 'a stored value with invalid UTF-8 is a guest');
SDTest::mc_set_session($bogus, 2, 60, in_realm('{"cookie":{},"isLoggedIn":true,"username":{"nested":1},"visitCount":"many","cart":"none"}'));
my $odd = view_with('connect.sid=' . sign_id($bogus, $current));
is($odd->code, 200, 'odd but valid field types are served, not a 500');
Apache::TestRequest::user_agent(reset => 1, requests_redirectable => 0);
is(GET('/cart', Cookie => 'connect.sid=' . sign_id($bogus, $current))->content, '{"items":[]}',
   '... a non-array cart reads as empty');
SDTest::mc_set_session($bogus, 2, 60, in_realm('{"cookie":{"expires":"2001-01-01T00:00:00.000Z"},"isLoggedIn":true}'));
is(view_with('connect.sid=' . sign_id($bogus, $current))->code, 401, 'a session past its expires is a guest');
ok(!scalar(() = SDTest::mc_get_session($bogus)), '... and is deleted from memcached');

# Rotation: a cookie signed with the retired secret still works, and the
# next response re-issues it under the current secret.
$res = view_with('connect.sid=' . sign_id($id, $retired));
is($res->code, 200, 'a cookie signed with the retired secret is accepted');
is(cookie_value($res), sign_id($id, $current), '... and re-issued under the current secret');
