# SPDX-License-Identifier: Apache-2.0
# The module's memcached sockets and threads (docs/reliability.md):
#   - the prober cuts only the module's own sockets of a frozen memcached:
#     another module's client of the same memcached in the same child
#     (mod_authn_socache over mod_socache_memcache) keeps its connection
#     through a freeze, the verdict and the thaw;
#   - an idle child sleeps: its threads (the MPM's, and each store's prober
#     and replay thread) wake up a few times a second, not every 20 ms.
# memcached "outage" belongs to tests/lib/env.sh (t/setup.sh reserved its
# port); this file starts, pauses and resumes it, as t/21_outage.t does.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use LWP::UserAgent ();
use MIME::Base64 qw(encode_base64);
use Time::HiRes qw(time sleep);
use SDTest qw(env_sh log_size log_since);

plan tests => 6;

my $port = $ENV{SD_OUTAGE_PORT} or die 'SD_OUTAGE_PORT not set';
sub memcached { my ($verb) = @_; return defined env_sh("sd_mc_$verb outage" . ($verb eq 'start' ? ' -m 16' : '')) }
END { local $?; env_sh('sd_mc_stop outage') }

(my $base = Apache::TestRequest::module2url('sd_outage', { path => '/' })) =~ s{//[^:/]+}{//127.0.0.1};
$base =~ s{/$}{};

# Waits up to $secs for a line matching $re logged since $from.
sub logged_within {
    my ($re, $from, $secs) = @_;
    my $t0 = time;
    while (time - $t0 < $secs) {
        return 1 if log_since($from) =~ $re;
        sleep 0.05;
    }
    return 0;
}

# --- another module's socket to the same memcached is never cut ---------
my $from = log_size();
ok(memcached('start'), "private memcached on port $port");
ok(logged_within(qr/SD00204: memcached 127\.0\.0\.1:$port is answering again/, $from, 5),
   'the prober sees it');

my $ua = LWP::UserAgent->new(keep_alive => 1, timeout => 10);
my @basic = (Authorization => 'Basic ' . encode_base64("alice:correct horse battery", ''));
my $first = $ua->get("$base/socache/page.html", @basic);
is($first->code, 200, 'a Basic login through the file, cached in memcached by mod_socache_memcache');

$from = log_size();
memcached('pause');
my $cut = logged_within(qr/SD00203: memcached 127\.0\.0\.1:$port is not answering/, $from, 5);
sleep 0.6;    # one more probe cycle: the cut is made again every cycle
memcached('resume');
$cut &&= logged_within(qr/SD00204: memcached 127\.0\.0\.1:$port is answering again/, $from, 5);
$from = log_size();
my $again = $ua->get("$base/socache/page.html", @basic);
my $log = log_since($from);
ok($cut && $again->code == 200 && $log !~ /AH00791|scache_mc/,
   'after a freeze the prober judged and cut, mod_socache_memcache\'s pooled socket to the'
   . ' same memcached still works') or diag $log;

# --- an idle child sleeps ----------------------------------------------
# Voluntary context switches of every thread of each child over 2 s, with
# no request in flight: before, each store's prober and replay thread woke
# every 20 ms (100 a second per store, over 900 a second per child here).
sub switches {
    my ($pid) = @_;
    my $n = 0;
    for my $status (glob "/proc/$pid/task/*/status") {
        open my $fh, '<', $status or next;
        while (my $line = <$fh>) { $n += $1 if $line =~ /^voluntary_ctxt_switches:\s+(\d+)/ }
    }
    return $n;
}
open my $pf, '<', Apache::Test::vars('t_logs') . '/httpd.pid' or die "no httpd.pid: $!";
chomp(my $parent = <$pf>);
sub ppid_of { open my $fh, '<', "/proc/$_[0]/stat" or return 0; return (split ' ', scalar <$fh>)[3] }
my @children = grep { ppid_of($_) == $parent } map { m{/proc/(\d+)/stat$} ? $1 : () } glob '/proc/[0-9]*/stat';
$ua->conn_cache(undef);    # no keep-alive connection left open
sleep 1;
my %before = map { $_ => switches($_) } @children;
my $t0 = time;
sleep 2;
my $secs = time - $t0;
my %rate = map { $_ => (switches($_) - $before{$_}) / $secs } @children;
my ($busiest) = sort { $rate{$b} <=> $rate{$a} } @children;
ok(@children >= 1, scalar(@children) . ' child(ren) of httpd ' . $parent);
ok($busiest && $rate{$busiest} < 50,
   sprintf('an idle child wakes %.0f times a second (all its threads)', $rate{$busiest} // -1))
    or diag join ' ', map { "$_: $rate{$_}/s" } @children;
