# SPDX-License-Identifier: Apache-2.0
# The login throttle (issue 20, defect 7): failures per name and per client
# address, counted in memcached by every front-end of the realm, first slow
# down and then get 429 with Retry-After and a log line; an unknown name gets
# exactly the answer a known one does; a name under attack blocks only the
# addresses that failed for it, until it is well over its limit, when every
# address waits; a blocked address makes no memcached items; memcached
# gone, logins are refused (503) before any password is checked.
# Limits here (t/conf, sd_throttle): 4 per name, 8 per address, 60 s.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use LWP::UserAgent;
use HTTP::Request::Common ();
use Time::HiRes ();
use JSON::PP;
use SDTest qw(mc_stats log_size log_since);

plan tests => 42;

sub base_of {
    my ($vhost) = @_;
    local $Apache::TestRequest::Module = $vhost;
    my ($port) = Apache::TestRequest::hostport() =~ /:(\d+)$/;
    return "http://127.0.0.1:$port";
}
my %base;
for my $vhost (qw(sd_throttle sd_throttle_peer sd_throttle_down)) {
    $base{$vhost} = base_of($vhost);
}

# One login attempt from a given loopback address: (response, seconds).
sub attempt {
    my ($from, $user, $password, $vhost) = @_;
    my $ua = LWP::UserAgent->new(timeout => 30, local_address => $from, requests_redirectable => []);
    my $t0 = Time::HiRes::time();
    my $res = $ua->request(HTTP::Request::Common::POST("$base{$vhost // 'sd_throttle'}/login",
                                                       [username => $user, password => $password]));
    return ($res, Time::HiRes::time() - $t0);
}
sub failed_normally {
    my ($res) = @_;
    return $res->code == 302 && ($res->header('Location') // '') =~ /error=2/;
}
# Four wrong passwords for $user from $ip: whether each failed normally,
# then how long each took.
sub four_wrong {
    my ($ip, $user) = @_;
    my ($normal, @t) = (1);
    for my $i (1 .. 4) {
        my ($res, $t) = attempt($ip, $user, "wrong $i");
        $normal &&= failed_normally($res);
        push @t, $t;
    }
    return ($normal, @t);
}

# --- one name from one address: slowed, then 429 -----------------------------------
my ($known_normal, @t_known) = four_wrong('127.0.0.2', 'alice');
ok($known_normal, 'four wrong passwords for alice: each the ordinary failure (302 error=2)');
cmp_ok($t_known[2], '>=', 0.24, '... the third waited (2 failures, half the limit: 250 ms)');
cmp_ok($t_known[3], '>=', 0.49, '... the fourth longer (3 failures: 500 ms)');
my $from = log_size();
my ($blocked_known) = attempt('127.0.0.2', 'alice', 'wrong 5');
is($blocked_known->code, 429, 'the fifth: 429 Too Many Requests');
is($blocked_known->header('Retry-After'), '60', '... with Retry-After: the window');
like(log_since($from), qr/SD01202: login for user 'alice' throttled \(username limit\): 4 failures for the name, 4 from this address/,
     '... and a log line (SD01202)');
my ($right_but_blocked) = attempt('127.0.0.2', 'alice', 'correct horse battery');
is($right_but_blocked->code, 429, 'the right password from that address: still 429 (the password is never checked)');
ok(!$right_but_blocked->header('Set-Cookie'), '... and no session');

# --- an unknown name: the same answer --------------------------------------------------
my ($unknown_normal, @t_unknown) = four_wrong('127.0.0.3', 'nobody-here');
ok($unknown_normal, 'an unknown name: the same four ordinary failures');
cmp_ok($t_unknown[3], '>=', 0.49, '... slowed alike');
my ($blocked_unknown) = attempt('127.0.0.3', 'nobody-here', 'wrong 5');
is($blocked_unknown->code, $blocked_known->code, '... then the same status (429)');
is($blocked_unknown->header('Retry-After'), $blocked_known->header('Retry-After'), '... the same Retry-After');
is($blocked_unknown->header('Content-Type'), $blocked_known->header('Content-Type'), '... the same Content-Type');
is($blocked_unknown->content, $blocked_known->content, '... and the same body, byte for byte');
like($blocked_known->content, qr/Too many failed logins/, '... a page that says why');

# --- the real user from another address --------------------------------------------
my ($real, $t_real) = attempt('127.0.0.4', 'alice', 'correct horse battery');
is($real->code, 302, 'alice from a clean address logs in while her name is blocked elsewhere');
like($real->header('Set-Cookie') // '', qr/^throttle\.sid=/, '... and gets her session');
is($real->header('Location'), '/', '... to the home page');
my ($typo) = attempt('127.0.0.4', 'alice', 'a typo');
ok(failed_normally($typo), 'a typo of hers from that address is an ordinary failure');
is((attempt('127.0.0.4', 'alice', 'correct horse battery'))[0]->code, 429,
   '... after which that address is blocked too, for the window (the short block a real user can meet)');

# --- two front-ends of one realm share the counts -----------------------------------
is((attempt('127.0.0.2', 'alice', 'wrong', 'sd_throttle_peer'))[0]->code, 429,
   'the other front-end (another port, same realm) blocks the same address for alice');
for my $i (1 .. 2) {
    ok(failed_normally((attempt('127.0.0.6', 'bob', "wrong $i"))[0]), "bob, failure $i on the first front-end");
}
for my $i (3 .. 4) {
    ok(failed_normally((attempt('127.0.0.6', 'bob', "wrong $i", 'sd_throttle_peer'))[0]),
       "bob, failure $i on the second");
}
is((attempt('127.0.0.6', 'bob', 'wrong 5'))[0]->code, 429, '... the fifth, on the first again: 429 (4 counted across both)');

# --- one address, many names -------------------------------------------------------
my @spray;
for my $i (1 .. 8) {
    push @spray, (attempt('127.0.0.5', "user$i", 'guess'))[0];
}
ok((!grep { !failed_normally($_) } @spray), 'eight names from one address, one failure each: ordinary failures');
my ($spray_block) = attempt('127.0.0.5', 'user9', 'guess');
is($spray_block->code, 429, '... the ninth name from that address: 429 (address limit)');
is((attempt('127.0.0.5', 'bob', 'hunter2 hunter2'))[0]->code, 429,
   '... for every name, even with the right password');
is((attempt('127.0.0.7', 'bob', 'hunter2 hunter2'))[0]->code, 302, 'bob logs in from another address');

# A blocked address is refused before any name's counter is made: made-up
# names cost memcached nothing.
{
    my $items = mc_stats()->{curr_items};
    my @made_up = map { (attempt('127.0.0.5', "made-up-$_", 'guess'))[0]->code } 1 .. 10;
    is_deeply(\@made_up, [(429) x 10], 'ten made-up names from the blocked address: 429 each');
    is(mc_stats()->{curr_items}, $items, '... and not one new memcached item');
}

# --- a name well over its limit (3 x 4 failures): every address waits ---------------
# bob has 4 failures (127.0.0.6); one each from eight new addresses make 12.
for my $i (1 .. 8) {
    attempt("127.0.1.$i", 'bob', "wrong from $i");
}
my ($fresh, $t_fresh) = attempt('127.0.2.1', 'bob', 'a guess from a fresh address');
ok(failed_normally($fresh), 'bob at 12 failures: a guess from a fresh address is an ordinary failure');
cmp_ok($t_fresh, '>=', 1.9, sprintf('... after the per-name wait (%.2f s): a new address gets no free'
                                    . ' guess at full speed', $t_fresh));
my ($owner, $t_owner) = attempt('127.0.2.2', 'bob', 'hunter2 hunter2');
is($owner->code, 302, '... while bob himself still logs in (no 429)');
cmp_ok($t_owner, '>=', 1.9, '... slowly');

# --- a burst of parallel guesses ----------------------------------------------------
# Each attempt is counted before its password is checked: twelve at once for
# one name from one address get no more than the limit (4) through.
{
    my @pids;
    for my $i (1 .. 12) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            my ($res) = attempt('127.0.0.11', 'eve', "burst $i");
            exit(failed_normally($res) ? 0 : $res->code == 429 ? 1 : 2);
        }
        push @pids, $pid;
    }
    my %got;
    for (@pids) { waitpid($_, 0); $got{$? >> 8}++ }
    my ($checked, $refused, $other) = map { $got{$_} // 0 } 0, 1, 2;
    ok($checked >= 1 && $checked <= 4 && $refused == 12 - $checked && !$other,
       "twelve parallel guesses at one name: $checked had their password checked (limit 4), $refused got 429");
}

# --- memcached gone: the login is refused before its password is checked -----------
# Letting it through would make the form an unthrottled password oracle.
$from = log_size();
my @down;
for my $i (1 .. 10) {
    push @down, (attempt('127.0.0.8', 'alice', "wrong $i", 'sd_throttle_down'))[0];
}
is_deeply([map { $_->code } @down], [(503) x 10],
          'memcached unreachable (limits 2): ten wrong passwords, ten 503s');
like($down[0]->header('Retry-After') // '', qr/^[1-9][0-9]*$/, '... with Retry-After');
my ($down_right) = attempt('127.0.0.8', 'alice', 'correct horse battery', 'sd_throttle_down');
is($down_right->code . ' ' . $down_right->content, $down[0]->code . ' ' . $down[0]->content,
   '... the right password gets the same answer, byte for byte (it is never checked)');
my $said = () = log_since($from) =~ /SD01201: login throttle: its counters in memcached did not answer; logins are refused/g;
ok($said >= 1 && $said < @down, "... the outage logged (SD01201), once per child, not per login ($said lines)");
unlike(log_since($from), qr/SD0041[67]: /, '... and no password reached the provider');
