# SPDX-License-Identifier: Apache-2.0
# Smaller holes: a read-only page whose refresh is due is served without
# the refresh rather than made to wait for a busy lock; HEAD / counts no
# visit and consumes no flash; a stored expiry far in the future is handled
# without overflow (the ASan + UBSan run of this file would report one).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST HEAD);
use Time::HiRes qw(time);
use SDTest qw(new_client use_vhost login cookie_value session_id mc_command mc_set mc_stats
              sign_id in_realm lock_key);

plan tests => 10;

# SessionDemoRefreshThreshold 100 on sd_short: every read is due a refresh.
use_vhost('sd_short');
my $res = login('kai');
my $cookie = 'short.sid=' . cookie_value($res);
my $id = session_id(cookie_value($res));
is(mc_command('add ' . lock_key('sess:', $id) . " 0 10 4\r\nheld"), 'STORED', 'the lock is busy elsewhere');
my $t0 = time;
$res = GET '/profile', Cookie => $cookie;
my $secs = time - $t0;
is($res->code, 200, 'a read-only page due for a refresh is still served');
ok($secs < 1, sprintf('... without waiting for the lock (%.2f s; SessionDemoLockWait is 2 s)', $secs));

use_vhost(undef);
new_client();
login('lea');
like(GET('/')->content, qr{Visit Count:</strong> 0</p>}, 'first view after login: count 0');
HEAD '/' for 1 .. 3;
like(GET('/')->content, qr{Visit Count:</strong> 1</p>}, 'three HEAD / in between counted no visit');

my $far = 'FarFutureExpiry0123456789abcdefg';
SDTest::mc_set_session($far, 2, 600, in_realm('{"cookie":{"expires":"9999-12-31T23:59:59.999Z","path":"/"},'
                                     . '"isLoggedIn":true,"username":"max","visitCount":1}'));
my $far_cookie = 'connect.sid=' . sign_id($far, 'apache-test only: 3c5a0f8e9d2b4e6f8a1c3e5d7f9b2d4e');
Apache::TestRequest::user_agent(reset => 1, requests_redirectable => 0);
is(GET('/profile', Cookie => $far_cookie)->code, 200, 'a stored expiry in the year 9999 is served');
like(GET('/', Cookie => $far_cookie)->content, qr{Name:</strong> max</p>}, '... and updated');

# A validly signed ID whose keys would pass memcached's 250 bytes.
use_vhost('sd_longprefix');
my $long = 'L' x 200;
my $before = mc_stats();
$res = GET '/protected', Cookie => 'long.sid=' . sign_id($long, 'apache-test only: 3c5a0f8e9d2b4e6f8a1c3e5d7f9b2d4e');
is($res->code, 401, 'a signed ID too long for a memcached key is a guest');
# Sealed (the default) names every ID by a 43-character keyed hash, so it
# reaches memcached only as keys that fit: the first secret's and the
# older one's (Express refuses it before memcached, SD00314).
ok(mc_stats()->{cmd_get} - $before->{cmd_get} <= 2,
   '... and reaches memcached only as keyed hashes that fit (one per secret)');
is(login('noor')->code, 302, 'sessions still work under a 48-byte prefix');
