# memcached outages (docs/reliability.md): killed -> fast 503 with
# Retry-After and guests still served, logged once; restarted -> served
# again within a second, stale pooled connections and all; frozen (SIGSTOP)
# -> 503 within 2 s, guests still served; thawed -> served again.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use Time::HiRes qw(time sleep);
use IO::Socket::INET ();
use SDTest qw(use_vhost login cookie_value session_id);

plan tests => 22;

my $port = $ENV{SD_OUTAGE_PORT} or die 'SD_OUTAGE_PORT not set';
my $mc_pid;

sub start_memcached {
    $mc_pid = fork // die "fork: $!";
    if (!$mc_pid) {
        my @user = $> == 0 ? ('-u', 'nobody') : ();
        exec 'memcached', @user, '-l', '127.0.0.1', '-p', $port, '-U', '0', '-m', '16';
        exit 127;
    }
    for (1 .. 100) {
        return 1 if IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 1);
        sleep 0.05;
    }
    return 0;
}
sub stop_memcached {
    return unless $mc_pid;
    kill 'CONT', $mc_pid;
    kill 'KILL', $mc_pid;
    waitpid $mc_pid, 0;
    undef $mc_pid;
}
END { local $?; stop_memcached() }

sub timed(&) { my $t0 = time; my $r = $_[0]->(); return ($r, time - $t0) }

sub errors_logged {
    open my $fh, '<', Apache::Test::vars('t_logs') . '/error_log' or return 0;
    my $n = 0;
    while (<$fh>) { $n++ if /\[sessiondemo:error\].*SD00203: memcached 127\.0\.0\.1:$port is not answering/ }
    return $n;
}

ok(start_memcached(), "private memcached on port $port");
sleep 1;   # it was down when httpd started: let the probers see it up
use_vhost('sd_outage');
my $res = login('zoe');
my $cookie = 'outage.sid=' . (cookie_value($res) // '');
is($res->code, 302, 'login works while memcached is up');
sub protected { GET '/protected', Cookie => $cookie }
sub guest_home { Apache::TestRequest::user_agent(reset => 1, requests_redirectable => 0); GET '/' }

# --- killed
my $errors_before = errors_logged();
stop_memcached();
my ($r, $secs) = timed { protected() };
is($r->code, 503, 'memcached killed: a session route answers 503');
ok($secs < 1, sprintf('... within 1 s (%.3f s)', $secs));
is($r->header('Retry-After'), '5', '... with Retry-After');
like($r->content, qr/session store is not reachable/, '... and a readable page');
is(guest_home()->code, 200, 'a guest without a cookie is still served');
my $slow = 0;
for (1 .. 20) { my (undef, $s) = timed { protected() }; $slow++ if $s >= 1 }
is($slow, 0, '20 more requests during the outage: none takes a second');
sleep 1.2;   # let every child's prober notice
is(errors_logged() - $errors_before, 1, 'the outage is logged once at error level, not per request');

# --- restarted (sessions are gone with memcached's memory)
ok(start_memcached(), 'memcached restarted');
sleep 1;
my $ok = 0;
for (1 .. 30) { $ok++ if GET('/login')->code == 200 && login('zoe')->code == 302 }
is($ok, 30, 'within 1 s of the restart, 30 logins in a row succeed');
$res = login('zoe');
$cookie = 'outage.sid=' . (cookie_value($res) // '');
is(protected()->code, 200, 'the new session works');

# A quick restart the prober may not even see: pooled sockets are stale.
stop_memcached();
ok(start_memcached(), 'memcached restarted again at once');
$res = login('zoe');
my $code = $res->code;
$cookie = 'outage.sid=' . (cookie_value($res) // '');
sleep 1;
$ok = 0;
for (1 .. 30) { $ok++ if login('zoe')->code == 302 }
is($ok, 30, 'after a quick restart, logins succeed (stale connections are retried)');

# --- frozen
$res = login('zoe');
$cookie = 'outage.sid=' . (cookie_value($res) // '');
kill 'STOP', $mc_pid;
sleep 2;
Apache::TestRequest::user_agent(reset => 1, requests_redirectable => 0, timeout => 10);
($r, $secs) = timed { protected() };
is($r->code, 503, 'memcached frozen: a session route answers 503');
ok($secs < 0.5, sprintf('... at once (%.3f s), 2 s after the freeze', $secs));
is(guest_home()->code, 200, 'a guest is still served while memcached is frozen');
my $status = GET '/sessiondemo-status?json';
is($status->code, 200, 'the status page does not hang on a frozen memcached');
like($status->content, qr/"state":"down"/, '... and shows it down');

kill 'CONT', $mc_pid;
sleep 2;
Apache::TestRequest::user_agent(reset => 1, requests_redirectable => 0, timeout => 10);
is(protected()->code, 200, 'thawed: the session is served again within 2 s');
$ok = 0;
for (1 .. 10) { $ok++ if protected()->code == 200 }
is($ok, 10, '... and stays served');
is(guest_home()->code, 200, 'guests too');
