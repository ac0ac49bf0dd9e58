# SPDX-License-Identifier: Apache-2.0
# memcached outages (docs/reliability.md), under a light background load
# (wrk running tests/reliability/mixed.lua on the same virtual host):
#   killed (SIGKILL)   -> fast 503 with Retry-After on session routes, logins
#                         refused, guests still served, logged once;
#   restarted          -> logins within a second, stale pooled connections
#                         retried after a quick restart;
#   frozen (SIGSTOP)   -> 503 within 2 s, guests and the status page served;
#                         requests already waiting on it when it froze, or
#                         sent before the prober's verdict, answer within 3 s
#                         (the prober cuts the frozen server's sockets);
#   thawed (SIGCONT)   -> sessions served again, even one that had requests
#                         waiting at the freeze (its lock must not outlive it).
#   killed, looked at  -> viewing the status page moves no error counter; a
#                         failed request counts for its server's label.
# memcached "outage" belongs to tests/lib/env.sh (t/setup.sh reserved its
# port); this file only asks it to start, kill, pause and resume it.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use LWP::UserAgent ();
use Time::HiRes qw(time sleep);
use POSIX ();
use JSON::PP ();
use SDTest qw(use_vhost login cookie_value env_sh);

plan tests => 47;

my $port = $ENV{SD_OUTAGE_PORT} or die 'SD_OUTAGE_PORT not set';
my $CONNS = $ENV{OUTAGE_CONNECTIONS} || 16;
my $HOLD = $ENV{OUTAGE_FREEZE_HOLD} || 4;     # seconds memcached stays frozen
my $run = $ENV{SD_RUN} or die 'SD_RUN not set';
my $errlog = Apache::Test::vars('t_logs') . '/error_log';

sub memcached { my ($verb) = @_; return defined env_sh("sd_mc_$verb outage" . ($verb eq 'start' ? ' -m 16' : '')) }
END { local $?; env_sh('sd_stop outage-load INT; sd_mc_stop outage; sd_mc_stop restart') }

sub timed(&) { my $t0 = time; my $r = $_[0]->(); return ($r, time - $t0) }

sub log_lines {
    my ($re, $from) = @_;
    open my $fh, '<', $errlog or return 0;
    seek $fh, $from // 0, 0;
    my $n = 0;
    while (<$fh>) { $n++ if /$re/ }
    return $n;
}
sub down_lines { log_lines(qr/SD00203: memcached 127\.0\.0\.1:$port is not answering/) }
sub errors_logged { log_lines(qr/\[sessiondemo:error\].*SD00203: memcached 127\.0\.0\.1:$port is not answering/) }
my $log_start = -s $errlog // 0;

use_vhost('sd_outage');
(my $base = Apache::TestRequest::module2url('sd_outage', { path => '/' })) =~ s{//[^:/]+}{//127.0.0.1};
$base =~ s{/$}{};

# Polling requests are given up after 0.25 s: one stuck on a frozen memcached
# is abandoned (and repeated), not waited for.
my $poll = LWP::UserAgent->new(timeout => 0.25, max_redirect => 0);
sub code_of {
    my ($ua, $method, $path, $cookie, $form) = @_;
    my @h = $cookie ? (Cookie => $cookie) : ();
    my $r = $method eq 'POST' ? $ua->post("$base$path", $form, @h) : $ua->get("$base$path", @h);
    # LWP's own answer (a timeout): 0
    return ($r->header('Client-Warning') // '') eq 'Internal response' ? 0 : $r->code;
}
# Seconds since T0 until the request answers WANT, or 'never' by DEADLINE.
sub wait_for {
    my ($want, $deadline, $t0, @req) = @_;
    while (time - $t0 <= $deadline) {
        return sprintf('%.3f', time - $t0) if code_of($poll, @req) == $want;
        sleep 0.01;
    }
    return 'never';
}
sub within { my ($t, $limit) = @_; return $t ne 'never' && $t <= $limit }
my $plain = LWP::UserAgent->new(timeout => 5, max_redirect => 0);
sub guests_ok { my ($n) = @_; for (1 .. $n) { return 0 unless code_of($plain, 'GET', '/') == 200 } return 1 }
my $logins = 0;
sub login_cookie {
    my $r = $plain->post("$base/login", [username => 'zoe' . ++$logins, password => 'pw']);
    my ($c) = map { /^(outage\.sid=[^;]*)/ ? $1 : () } $r->header('Set-Cookie');
    return $c;
}

ok(memcached('start'), "private memcached on port $port");
sleep 1;   # it was down when httpd started: let the probers see it up
my $res = login('zoe');
my $cookie = 'outage.sid=' . (cookie_value($res) // '');
is($res->code, 302, 'login works while memcached is up');
sub protected { GET '/protected', Cookie => $cookie }
sub guest_home { Apache::TestRequest::user_agent(reset => 1, requests_redirectable => 0); GET '/' }

my $wrk_out = "$run/outage-wrk.out";
env_sh("sd_spawn outage-load '$wrk_out' wrk -t1 -c$CONNS -d300s --timeout 30s "
       . "-s '$SDEnv::TOP/tests/reliability/mixed.lua' '$base/' -- cookie=outage.sid");
sleep 2;
ok(login_cookie(), "a login works under the background load ($CONNS connections)");

# --- killed
my $errors_before = errors_logged();
my $t0 = time;
memcached('stop');
my ($r, $secs) = timed { protected() };
is($r->code, 503, 'memcached killed: a session route answers 503');
ok($secs < 1, sprintf('... within 1 s (%.3f s)', $secs));
is($r->header('Retry-After'), '5', '... with Retry-After');
like($r->content, qr/session store is not reachable/, '... and a readable page');
my $t_kill = wait_for(503, 5, $t0, 'GET', '/cart', $cookie);
ok(within($t_kill, 1), "killed: a session route answers 503 within 1 s of the kill ($t_kill s)");
is(guest_home()->code, 200, 'a guest without a cookie is still served');
ok(guests_ok(10), '... and 10 guests in a row');
is(code_of($plain, 'POST', '/login', undef, [username => 'x', password => 'pw']), 503, 'a login answers 503');
my $slow = 0;
for (1 .. 20) { my (undef, $s) = timed { protected() }; $slow++ if $s >= 1 }
is($slow, 0, '20 more requests during the outage: none takes a second');
sleep 1.2;   # let every child's prober notice
is(errors_logged() - $errors_before, 1, 'the outage is logged once at error level, not per request');

# --- restarted (sessions are gone with memcached's memory)
$t0 = time;
ok(memcached('start'), 'memcached restarted');
my $t_restart = wait_for(302, 5, $t0, 'POST', '/login', undef, [username => 'back', password => 'pw']);
ok(within($t_restart, 1), "restarted: logins succeed within 1 s ($t_restart s)");
sleep 1;
my $ok = 0;
for (1 .. 30) { $ok++ if GET('/login')->code == 200 && login('zoe')->code == 302 }
is($ok, 30, 'within 1 s of the restart, 30 logins in a row succeed');
$ok = 0;
for my $i (1 .. 20) { $ok++ if code_of($plain, 'POST', '/login', undef, [username => "again$i", password => 'pw']) == 302 }
is($ok, 20, '... and 20 more, each a new user');
is(errors_logged() - $errors_before, 1, 'the whole outage, until memcached was back, made one error line');
$res = login('zoe');
$cookie = 'outage.sid=' . (cookie_value($res) // '');
is(protected()->code, 200, 'the new session works');

# A quick restart the prober may not even see: pooled sockets are stale.
my $down_before = down_lines();
memcached('stop');
ok(memcached('start'), 'memcached restarted again at once');
$res = login('zoe');
my $seen_down = down_lines() > $down_before;
ok($res->code == 302 || ($seen_down && $res->code == 503),
   'the very first login after it succeeds: its stale pooled sockets are retried (got ' . $res->code
   . ($seen_down ? ', the prober saw the gap' : ', the prober did not see the gap') . ')');
$cookie = 'outage.sid=' . (cookie_value($res) // '');
sleep 1;
$ok = 0;
for (1 .. 30) { $ok++ if login('zoe')->code == 302 }
is($ok, 30, 'after a quick restart, logins succeed (stale connections are retried)');

# The same where the prober cannot see the restart (it probes once a
# minute): 8 logins at once leave up to 8 pooled sockets per child, all
# stale after the restart; the first login after it must still succeed.
{
    my $slow = Apache::TestRequest::module2url('sd_outage_slowprobe', { path => '/login' });
    $slow =~ s{//[^:/]+}{//127.0.0.1};
    my $login_at = sub {
        LWP::UserAgent->new(timeout => 10, max_redirect => 0)
            ->post($slow, [username => 'slow', password => 'pw'])->code;
    };
    my @burst;
    for (1 .. 8) { my $pid = fork // die "fork: $!"; if (!$pid) { POSIX::_exit($login_at->() == 302 ? 0 : 1) } push @burst, $pid }
    my $burst_ok = 0;
    for (@burst) { waitpid $_, 0; $burst_ok++ if $? == 0 }
    is($burst_ok, 8, 'slow-probe server: 8 logins at once');
    env_sh('sd_mc_stop restart; sd_mc_start restart -m 16');
    my @codes = map { $login_at->() } 1 .. 4;
    is("@codes", '302 302 302 302', 'slow-probe server: logins right after a restart it cannot have seen succeed (stale pooled sockets found and retried)');
    use_vhost('sd_outage');   # module2url made the slow one the default
}

# --- frozen, with requests on one session started just before and after
sleep 1;
$res = login('zoe');
$cookie = 'outage.sid=' . (cookie_value($res) // '');
my $stuck = login_cookie();
my $idle = login_cookie();      # not used while memcached is frozen
my $inflight = "$run/outage-inflight";
unlink $inflight;
# Each starts a request right after SIGSTOP (released by a file, 50 ms
# apart): the server no longer answers, and the prober has not said so yet
# (its verdict takes a whole probe timeout after the freeze), so each call
# blocks on a socket that only a timeout or a cut can end.
my $go = "$run/outage-go";
unlink $go;
my @kids;
for my $i (0 .. 4) {
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        my $give_up = time + 20;
        sleep 0.005 until -e $go || time > $give_up;
        sleep 0.05 * $i;
        my $s = time;
        my $c = code_of(LWP::UserAgent->new(timeout => 30, max_redirect => 0), 'GET', '/cart', $stuck);
        open my $fh, '>>', $inflight or POSIX::_exit(1);
        printf $fh "%.6f %d %.3f\n", $s, $c, time - $s;
        close $fh;
        POSIX::_exit(0);
    }
    push @kids, $pid;
}
$errors_before = errors_logged();
memcached('pause');
my $t_freeze = $t0 = time;
{ open my $fh, '>', $go or die "$go: $!"; close $fh; }
my $t_stop = wait_for(503, 5, $t0, 'GET', '/cart', $cookie);
ok(within($t_stop, 2), "frozen: a session route answers 503 within 2 s ($t_stop s)");
ok(guests_ok(10), 'frozen: 10 guests in a row are served');
sleep($t0 + 2 - time) if $t0 + 2 > time;
Apache::TestRequest::user_agent(reset => 1, requests_redirectable => 0, timeout => 10);
($r, $secs) = timed { protected() };
is($r->code, 503, 'memcached frozen: a session route answers 503');
ok($secs < 0.5, sprintf('... at once (%.3f s), 2 s after the freeze', $secs));
is(guest_home()->code, 200, 'a guest is still served while memcached is frozen');
my $status = GET '/sessiondemo-status?json';
is($status->code, 200, 'the status page does not hang on a frozen memcached');
like($status->content, qr/"state":"down"/, '... and shows it down');
sleep($t0 + $HOLD - time) if $t0 + $HOLD > time;
is(errors_logged() - $errors_before, 1, 'the freeze is logged once at error level');

# --- thawed: three sessions polled in turn, each until it answers 200
$t0 = time;
memcached('resume');
my %back = (idle => $idle, stuck => $stuck, probed => $cookie);
my %t_back;
while (keys %back && time - $t0 <= 10) {
    for my $k (sort keys %back) {
        next unless code_of($poll, 'GET', '/cart', $back{$k}) == 200;
        $t_back{$k} = sprintf('%.3f', time - $t0);
        delete $back{$k};
    }
    sleep 0.01;
}
$t_back{$_} //= 'never' for qw(idle stuck probed);
ok(within($t_back{idle}, 2), "thawed: a session not used during the freeze is served within 2 s ($t_back{idle} s)");
ok(within($t_back{stuck}, 8), 'thawed: a session with requests waiting at the freeze is served within 8 s '
   . "($t_back{stuck} s; bound: LockTTL 5 + LockWait 2 + 1)");
ok(within($t_back{probed}, 2), "thawed: the session probed for the 503 is served again within 2 s ($t_back{probed} s)");
Apache::TestRequest::user_agent(reset => 1, requests_redirectable => 0, timeout => 10);
$ok = 0;
for (1 .. 10) { $ok++ if protected()->code == 200 }
is($ok, 10, '... and stays served');
is(guest_home()->code, 200, 'guests too');
waitpid $_, 0 for @kids;
ok(code_of($plain, 'GET', '/profile', $idle) == 200 && code_of($plain, 'GET', '/profile', $stuck) == 200,
   'the sessions survived the freeze');
my @flight = map { my ($s, @rest) = split; sprintf("%+.2f @rest\n", $s - $t_freeze) }
             do { open my $fh, '<', $inflight; $fh ? <$fh> : () };
diag("requests in flight at the freeze (start relative to SIGSTOP, status, seconds; frozen $HOLD s):\n"
     . join '', map { "    $_" } sort { (split ' ', $a)[0] <=> (split ' ', $b)[0] } @flight);
is(scalar(grep { / (200|503) / } @flight) . '/' . @flight, '5/5', 'requests waiting at the freeze all ended with 200 or 503');
is(scalar(grep { (split)[0] < 0.45 } @flight) . '/' . @flight, '5/5',
   'each was sent within 0.45 s of SIGSTOP, before the prober could give its verdict (a probe timeout, 0.5 s)');
# Bounded by SessionDemoMemcacheTimeout (0.5 s) plus one probe interval
# (0.5 s), as the prober cuts the frozen server's sockets: also those of
# requests sent after the freeze, before its verdict.
is(scalar(grep { (split)[2] <= 3 } @flight) . '/' . @flight, '5/5',
   'each of them, also those sent after SIGSTOP and before the verdict, answered within 3 s');

env_sh('sd_stop outage-load INT');
my %bg = map { /^REL (\S+) (\S+)/ ? ($1, $2) : () } do { open my $fh, '<', $wrk_out; $fh ? <$fh> : () };
diag(sprintf('background load: %d requests (%s), socket errors %d, latency max %s ms', $bg{requests} // 0,
             join(', ', map { /^status_(\d+)/ ? "$1 $bg{$_}" : () } sort keys %bg),
             (($bg{err_connect} // 0) + ($bg{err_read} // 0) + ($bg{err_write} // 0) + ($bg{err_timeout} // 0)),
             $bg{max_ms} // '?'));

# --- looking is no error: the status page, viewed while memcached is
# down, moves no counter (an alert on store_errors would fire for it).
memcached('stop');
sleep 1.2;   # every child's prober has seen it
# store_errors_total by server, and their sum.
sub store_errors {
    my %by = GET('/sessiondemo-status?format=prometheus')->content
             =~ /^sessiondemo_store_errors_total\{server="([^"]+)"\} (\d+)$/mg;
    my $sum = 0;
    $sum += $_ for values %by;
    return ($sum, $by{"127.0.0.1:$port"} // 0);
}
my ($store_errors) = store_errors();
my $users;
for (1 .. 5) {
    $users = JSON::PP::decode_json(GET('/sessiondemo-status?json')->content)->{indexed_users};
    GET '/sessiondemo-status';
}
ok(!defined $users, 'memcached down: the status page shows no user count');
is((store_errors())[0], $store_errors, '... and 10 views of it (JSON and HTML) add no store error');
my ($sum0, $here0) = store_errors();
is(code_of($plain, 'GET', '/cart', $cookie), 503, 'a session route answers 503');
my ($sum1, $here1) = store_errors();
ok($here1 > $here0 && $sum1 - $sum0 == $here1 - $here0,
   "... counted as store errors of its server, 127.0.0.1:$port (+" . ($here1 - $here0) . '), and only there');
is($sum1, JSON::PP::decode_json(GET('/sessiondemo-status?json')->content)->{counters}{store_errors},
   'store_errors_total summed over servers is the status page\'s total');
is(log_lines(qr/exit signal/, $log_start), 0, 'no httpd child crashed');
