# SPDX-License-Identifier: Apache-2.0
# The lock's bounds: a request waits at most SessionDemoLockWait for a held
# lock and then answers 503; a lock left behind (a crashed request) is
# gone after SessionDemoLockTTL; SessionDemoLock Off takes no lock at all.
# Also SessionDemoCookiePath on the Set-Cookie header.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use Time::HiRes qw(time sleep);
use SDTest qw(use_vhost login cookie_value session_id mc_get mc_stats lock_key);

plan tests => 9;

use_vhost('sd_lockwait');
my $res = login('abel');
my $id = session_id(cookie_value($res));
my $cookie = 'lockwait.sid=' . cookie_value($res);

# A lock left by a request that died (same key the module uses).
my $line = SDTest::mc_command('add ' . lock_key('sess:', $id) . " 0 2 4\r\ndead");
is($line, 'STORED', 'a stale lock is planted (TTL 2 s)');
Apache::TestRequest::user_agent(reset => 1, requests_redirectable => 0);
my $t0 = time;
$res = GET '/', Cookie => $cookie;
my $waited = time - $t0;
is($res->code, 503, 'a request that cannot get the lock answers 503');
ok($waited >= 0.25 && $waited < 1.5, sprintf('... after about SessionDemoLockWait 300 ms (%.2f s)', $waited));
is($res->header('Retry-After'), '5', '... with Retry-After');
is(GET('/profile', Cookie => $cookie)->code, 200, 'read-only pages do not need the lock');
sleep 2.2;
$res = GET '/', Cookie => $cookie;
is($res->code, 200, 'after SessionDemoLockTTL the stale lock has expired and the session is usable');

use_vhost('sd_nolock');
$res = POST '/login', [username => 'beth', password => 'pw'];
like(join("\n", $res->header('Set-Cookie')), qr{^nolock\.sid=s%3A[^;]+; Path=/shop; Expires=},
     'SessionDemoCookiePath /shop is the cookie Path');
$cookie = 'nolock.sid=' . cookie_value($res);
my $before = mc_stats();
GET '/', Cookie => $cookie;
my $after = mc_stats();
is($after->{cmd_set} - $before->{cmd_set}, 1, 'SessionDemoLock Off: one storage command (the session), no lock add or release');
ok(!scalar(() = mc_get(lock_key('sess:', session_id(cookie_value($res))))), '... and no lock key');
