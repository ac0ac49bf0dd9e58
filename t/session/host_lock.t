# SPDX-License-Identifier: Apache-2.0
# SessionDemoLock Host: no memcached round trip for the lock, and a child
# killed with SIGKILL while it holds a session's slot leaves no session
# locked: the next request on that session is served within
# SessionDemoLockWait; the table is APR shared memory, not mapped by
# hand. (The 400 concurrent cart additions are in t/session/lock.t.)
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);
use JSON::PP ();
use LWP::UserAgent ();
use Time::HiRes qw(time sleep);
use SDTest qw(use_vhost login cookie_value session_id mc_stats env_sh);

plan tests => 12;

my $errlog = Apache::Test::vars('t_logs') . '/error_log';
sub log_size { return -s $errlog // 0 }
sub logged_since {
    my ($re, $from) = @_;
    open my $fh, '<', $errlog or return 0;
    seek $fh, $from, 0;
    return scalar grep { /$re/ } <$fh>;
}
use_vhost('sd_hostlock');
# The table is the whole httpd's; this host's status page shows it without
# asking the frozen memcached below for its stats.
my $status_url = 'http://' . Apache::TestRequest::hostport() . '/sessiondemo-status?json';
my $status_ua = LWP::UserAgent->new(timeout => 10);
sub status { my $r = $status_ua->get($status_url); return $r->is_success ? JSON::PP::decode_json($r->content) : {} }

my $cookie = 'hostlock.sid=' . cookie_value(login('ines'));
GET '/', Cookie => $cookie;   # the flash is consumed
my $before = mc_stats();
is(GET('/', Cookie => $cookie)->code, 200, 'a logged-in view');
my $after = mc_stats();
my %d = map { $_ => ($after->{$_} // 0) - ($before->{$_} // 0) } qw(cmd_get cmd_set delete_hits delete_misses);
is_deeply([@d{qw(cmd_get cmd_set delete_hits delete_misses)}], [1, 1, 0, 0],
          '... is one get and one set in memcached: the lock costs no round trip')
    or diag(explain(\%d));
my $st = status();
ok(exists $st->{host_locks} && $st->{host_locks}{held} == 0, 'the status page shows the host lock table, nothing held');

# A request that stays inside its lock: the session's memcached is frozen
# after the lock is taken, and the probe timeout (10 s) is long enough for
# nothing to cut the request before its child is killed.
use_vhost('sd_hostlock_kill');
my $res = login('kai');
$cookie = 'hostkill.sid=' . cookie_value($res);
GET '/', Cookie => $cookie;
my $base = 'http://' . Apache::TestRequest::hostport();
ok(defined env_sh('sd_mc_pause hostlock'), 'the session\'s memcached is frozen (SIGSTOP)');
my $from = log_size();
my $client = fork // die "fork: $!";
if (!$client) {
    LWP::UserAgent->new(timeout => 30)->get("$base/", Cookie => $cookie);
    exit 0;
}
my $held = 0;
for (1 .. 100) {
    $held = status()->{host_locks}{held} // 0;
    last if $held;
    sleep 0.05;
}
ok($held >= 1, "a request holds the session's slot while it waits for memcached ($held held)");

# Every child of this httpd: the holder is one of them.
my $ppid = do { open my $fh, '<', Apache::Test::vars('t_logs') . '/httpd.pid' or die; local $/; <$fh> + 0 };
my @children = grep { /^\d+$/ } split ' ', `ps -o pid= --ppid $ppid`;
diag("httpd $ppid, children @children");
ok(@children >= 1, 'the httpd children are found (' . scalar(@children) . ')');
kill 'KILL', @children;
env_sh('sd_mc_resume hostlock');
waitpid($client, 0);

# The slot is still marked held by a dead process; the next request of the
# session takes it over instead of waiting out SessionDemoLockTTL.
my ($code, $took) = (0, 0);
for (1 .. 3) {   # the parent starts new children within a second or so
    my $t0 = time;
    my $r = GET '/', Cookie => $cookie;
    ($code, $took) = ($r->code, time - $t0);
    last if $code == 200 || $code == 503;
    sleep 1;
}
is($code, 200, 'the next request on that session is served, within SessionDemoLockWait (4 s)');
like(GET('/', Cookie => $cookie)->content, qr{Visit Count:</strong> \d+}, '... and the session is intact');
ok(logged_since(qr/SD00319: took over a session lock whose holder died/, $from) >= 1,
   '... the takeover is logged (SD00319)');
ok(logged_since(qr/SD00308:/, $from) == 0, '... and no request waited out the lock (no SD00308)');
$st = status();
ok(($st->{host_locks}{reclaimed} // 0) >= 1 && $st->{host_locks}{held} == 0,
   'the status page counts the reclaimed slot, and nothing is left held');

# The lock table and the counters are APR shared memory from the process
# pool (kept across restarts, see t/admin/metrics.t), never memory mapped
# by hand.
my $top = Apache::Test::vars('top_dir');
my @by_hand = grep {
    open my $fh, '<', $_ or die "$_: $!";
    grep { /\b(?:mmap|munmap)\s*\(|<sys\/mman\.h>/ } <$fh>;
} ("$top/mod_sessiondemo.c", glob("$top/src/*.c"), glob("$top/src/*/*.c"));
is("@by_hand", '', 'the module maps no shared memory by hand (no mmap, munmap or sys/mman.h)');
