# SPDX-License-Identifier: Apache-2.0
# Monitoring (docs/monitoring.md): the counters are one block for the whole
# httpd, so they add up across children and survive restarts; the status
# handler's ?format=prometheus, read by Debian's python3-prometheus-client
# parser; mod_status's /server-status section, in HTML and ?auto.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use IO::Socket::INET ();
use IPC::Open3 ();
use HTTP::Request::Common ();
use JSON::PP ();
use LWP::UserAgent ();
use Symbol ();
use Time::HiRes ();
use SDTest qw(use_vhost login cookie_value in_parallel);

plan tests => 59;

my $PARSER = Apache::Test::vars('t_dir') . '/lib/prom_to_json.py';
my $ACCESS_LOG = Apache::Test::vars('t_logs') . '/metrics_access_log';

# A status page of the main server on a new connection (a new connection
# may land on any child).
sub fresh_get {
    my ($path, @headers) = @_;
    use_vhost(undef);
    my $ua = LWP::UserAgent->new(timeout => 30, keep_alive => 0);
    return $ua->get('http://' . Apache::TestRequest::hostport() . $path, @headers);
}

sub counters { JSON::PP::decode_json(fresh_get('/sessiondemo-status?json')->content) }

# The families of a Prometheus text, as the real parser reads them:
# name => { type, help, samples => [ { name, labels, value } ] }.
sub parse_prometheus {
    my ($text, @openmetrics) = @_;
    my ($in, $out) = (Symbol::gensym, Symbol::gensym);
    my $pid = IPC::Open3::open3($in, $out, undef, '/usr/bin/python3', $PARSER, @openmetrics);
    print $in $text;
    close $in;
    my $json = do { local $/; <$out> };
    waitpid $pid, 0;
    return undef if $? != 0;
    return { map { $_->{name} => $_ } @{ JSON::PP::decode_json($json) } };
}

# The pids that logged a 302 for POST /login in the vhost's access log.
sub login_pids {
    open my $fh, '<', $ACCESS_LOG or return ();
    my %pids;
    while (<$fh>) { $pids{$1} = 1 if /^(\d+) POST \/login 302$/ }
    return keys %pids;
}

sub up_of {
    my ($port) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 2);
    return $s ? 1 : 0;
}

# --- counters add up across children ------------------------------------
use_vhost('sd_metrics');
my $base = 'http://' . Apache::TestRequest::hostport();
my $before = counters()->{counters};
# Rounds until the access log shows two children (a bounded number): each
# round's logins are counted, and all of them must show.
my ($logins, $bad, $rounds) = (0, 0, 0);
truncate $ACCESS_LOG, 0 if -e $ACCESS_LOG;
while ($rounds++ < 5) {
    # One connection per login, so that the children of httpd share them.
    $bad += in_parallel(8, 10, sub {
        my ($c, $i) = @_;
        return HTTP::Request::Common::POST("$base/login", [username => "m$c-$i", password => 'pw']);
    }, keep_alive => 0, ok => sub { $_[0]->code == 302 });
    $logins += 80;
    # The access log is written at the end of each request: let the last
    # lines land.
    Time::HiRes::sleep(0.2);
    last if login_pids() >= 2;
}
my @pids = login_pids();
is($bad, 0, "$logins parallel logins all answered 302");
cmp_ok(scalar @pids, '>=', 2, 'at least two children served them (access log %P: '
       . join(',', sort @pids) . ')');
my $after = counters()->{counters};
is($after->{sessions_created} - $before->{sessions_created}, $logins,
   "sessions_created rose by exactly $logins, whichever child counted");

# Every child reads the same block: status pages answered by different
# children show the same figures.
my (%by_pid, $tries);
while ($tries++ < 40 && keys %by_pid < 2) {
    my $s = counters();
    $by_pid{ $s->{pid} } = $s->{counters}{sessions_created};
}
cmp_ok(scalar keys %by_pid, '>=', 2, 'status pages from ' . scalar(keys %by_pid) . ' children');
my %values = map { $_ => 1 } values %by_pid;
is(scalar keys %values, 1, '... all show the same sessions_created');

# --- lock waits -----------------------------------------------------------
use_vhost('sd_metrics');
my $cookie = 'metrics.sid=' . cookie_value(login('lockfan'));
my $failed = in_parallel(6, 15, sub {
    my ($c, $i) = @_;
    return HTTP::Request->new(POST => "$base/add-to-cart",
        ['Content-Type' => 'application/x-www-form-urlencoded', Cookie => $cookie], "item=i$c-$i");
});
is($failed, 0, '90 parallel add-to-cart of one session answered 200');

# --- Prometheus -----------------------------------------------------------
my $res = fresh_get('/sessiondemo-status?format=prometheus');
is($res->code, 200, '?format=prometheus answers 200');
like($res->header('Content-Type'), qr{^text/plain; version=0\.0\.4\b}, '... as text format 0.0.4');
my $json_now = counters()->{counters};
my $fam = parse_prometheus($res->content);
ok($fam, 'the prometheus_client parser reads it') or diag $res->content;
$fam ||= {};

# Counters: one family per status page counter, with the same value (no
# counted request came in between).
my @missing = grep {
    my $f = $fam->{"sessiondemo_$_"};
    $_ ne 'store_errors' and
    !($f && $f->{type} eq 'counter' && $f->{help} ne ''
      && @{ $f->{samples} } == 1 && $f->{samples}[0]{name} eq "sessiondemo_${_}_total"
      && $f->{samples}[0]{value} == $json_now->{$_})
} sort keys %$json_now;
is("@missing", '', 'every counter of the status page is a counter family sessiondemo_<name>_total'
   . ' with HELP and the same value (' . scalar(keys %$json_now) . ' counters)');
ok(scalar(keys %$json_now) >= 19, '... of at least the 19 counters');
my %errors_by = map { $_->{labels}{server} => $_->{value} } @{ $fam->{sessiondemo_store_errors}{samples} || [] };
my $errors_sum = 0;
$errors_sum += $_ for values %errors_by;
ok(exists $errors_by{"127.0.0.1:$ENV{MEMCACHED_PORT}"} && $errors_sum == $json_now->{store_errors},
   'store_errors_total has one sample per server (' . join(', ', sort keys %errors_by)
   . "), summing to the status page's $json_now->{store_errors}");
cmp_ok($fam->{sessiondemo_sessions_created}{samples}[0]{value}, '>=', $logins,
       'sessions_created counts the logins');
cmp_ok($fam->{sessiondemo_lock_waits}{samples}[0]{value}, '>', $before->{lock_waits} // 0,
       'lock_waits rose with the parallel requests of one session');

# memcached health: one gauge per server, 1 or 0 as the server really is.
my $up = $fam->{sessiondemo_memcached_up};
is($up && $up->{type}, 'gauge', 'sessiondemo_memcached_up is a gauge');
my %up = map { $_->{labels}{server} => $_->{value} } @{ $up ? $up->{samples} : [] };
is($up{"127.0.0.1:$ENV{MEMCACHED_PORT}"}, 1, '... 1 for the main memcached');
is($up{"127.0.0.1:$ENV{SD_SMALL_MC_PORT}"}, 1, '... 1 for another live one');
my $outage = "127.0.0.1:$ENV{SD_OUTAGE_PORT}";
ok(exists $up{$outage}, '... the outage vhost\'s server is listed');
is($up{$outage}, up_of($ENV{SD_OUTAGE_PORT}), "... and its value is whether it listens now"
   . ' (' . up_of($ENV{SD_OUTAGE_PORT}) . ')');
my %names = map { $_ => 1 } keys %up;
is(scalar keys %names, scalar @{ $up ? $up->{samples} : [] }, '... each server once');

# Histograms: families, labels, cumulative buckets, +Inf == _count.
sub check_histogram {
    my ($name, $key, @values) = @_;
    my $f = $fam->{$name};
    is($f && $f->{type}, 'histogram', "$name is a histogram");
    my %series;
    for my $s (@{ $f ? $f->{samples} : [] }) {
        my %l = %{ $s->{labels} };
        my $le = delete $l{le};
        my $set = defined $key ? ($l{$key} // '') : '';
        push @{ $series{$set}{buckets} }, [$le, $s->{value}] if $s->{name} eq "${name}_bucket";
        $series{$set}{sum} = $s->{value} if $s->{name} eq "${name}_sum";
        $series{$set}{count} = $s->{value} if $s->{name} eq "${name}_count";
    }
    is(join(',', sort keys %series), join(',', sort @values),
       "... label sets: " . (defined $key ? "$key=" : '') . join(',', @values));
    my @bad;
    for my $set (sort keys %series) {
        my $x = $series{$set};
        my @b = @{ $x->{buckets} || [] };
        push @bad, "$set: no buckets" unless @b > 1;
        push @bad, "$set: last bucket not +Inf" unless @b && $b[-1][0] eq '+Inf';
        for my $i (1 .. $#b) {
            push @bad, "$set: le not rising at $b[$i][0]"
                unless $b[$i][0] eq '+Inf' || $b[$i][0] > $b[$i - 1][0];
            push @bad, "$set: bucket $b[$i][0] below the one before" if $b[$i][1] < $b[$i - 1][1];
        }
        push @bad, "$set: +Inf != _count" unless defined $x->{count} && @b && $b[-1][1] == $x->{count};
        push @bad, "$set: no _sum" unless defined $x->{sum} && $x->{sum} >= 0;
    }
    is("@bad", '', '... buckets rise, end at +Inf, and +Inf equals _count; _sum present');
    return \%series;
}
my $calls = check_histogram('sessiondemo_store_call_seconds', 'op', qw(get write add remove));
cmp_ok($calls->{add}{count}, '>=', $logins, 'store calls: at least one add per login');
cmp_ok($calls->{get}{count}, '>', 0, 'store calls: gets counted');
cmp_ok($calls->{get}{sum}, '>', 0, '... and timed');
my $waits = check_histogram('sessiondemo_lock_wait_seconds', undef, '');
is($waits->{''}{count}, $fam->{sessiondemo_lock_waits}{samples}[0]{value},
   'lock_wait_seconds_count equals lock_waits_total');
cmp_ok($waits->{''}{sum}, '>', 0, '... and the waits took time');

my $raw = $res->content;
like($raw, qr/^# TYPE sessiondemo_store_call_seconds histogram$/m, 'TYPE line as written');
ok($raw !~ /[^\n]\z/ && $raw =~ /\n\z/, 'the text ends with a line feed');
is(fresh_get('/sessiondemo-status?format=prometheus&x=1')->code, 200,
   'format= among other query parameters');
my ($build) = map { $_->{labels}{version} } @{ $fam->{sessiondemo_build_info}{samples} || [] };
my ($changelog) = do { open my $fh, '<', "$FindBin::Bin/../../debian/changelog"; <$fh> } =~ /\(([^)]+)\)/;
is($build, $changelog, "sessiondemo_build_info{version=\"$changelog\"}: debian/changelog's version");

# --- OpenMetrics, by format= or by a scraper's Accept; an unknown format
$res = fresh_get('/sessiondemo-status?format=openmetrics');
like($res->header('Content-Type'), qr{^application/openmetrics-text; version=1\.0\.0; charset=utf-8$},
     '?format=openmetrics answers application/openmetrics-text');
my $om = parse_prometheus($res->content, '--openmetrics');
ok($om, "... which the prometheus_client OpenMetrics parser reads (it requires # EOF last)")
    or diag $res->content;
is($om && $om->{sessiondemo_sessions_created}{samples}[0]{name}, 'sessiondemo_sessions_created_total',
   '... a counter family without _total, its sample with it');
like(fresh_get('/sessiondemo-status', Accept => 'application/openmetrics-text;version=1.0.0,'
               . 'text/plain;version=0.0.4;q=0.5')->header('Content-Type'),
     qr{^application/openmetrics-text}, '... also for Accept: application/openmetrics-text');
like(fresh_get('/sessiondemo-status', Accept => 'application/openmetrics-text;q=0, text/html')
     ->header('Content-Type'), qr{^text/html}, '... but not when Accept refuses it with q=0');
$res = fresh_get('/sessiondemo-status?format=xml');
is($res->code, 400, 'an unknown format= answers 400');
like($res->header('Content-Type') . $res->content, qr{^text/plain.*format=html, json, prometheus or openmetrics}s,
     '... in plain text, naming the formats');
use_vhost('sd_plain');
my $vres = GET '/sessiondemo-status?format=prometheus';
my $vfam = parse_prometheus($vres->content) || {};
is($vfam->{sessiondemo_sessions_created}{samples}[0]{value},
   $fam->{sessiondemo_sessions_created}{samples}[0]{value},
   'another virtual host\'s status URL shows the same, whole-httpd counters');

# --- mod_status -----------------------------------------------------------
$res = fresh_get('/server-status?auto');
is($res->code, 200, '/server-status?auto answers (mod_status loaded)');
my %auto = $res->content =~ /^(SessionDemo\w+): (\d+)$/mg;
my $json = counters()->{counters};
my @bad_auto = grep {
    my $k = 'SessionDemo' . join '', map { ucfirst } split /_/, $_;
    !defined $auto{$k} || $auto{$k} != $json->{$_}
} sort keys %$json;
is("@bad_auto", '', 'every counter as a SessionDemo<Name>: value line, equal to the status page');
is($auto{SessionDemoSessionsCreated}, $json->{sessions_created}, '... e.g. SessionDemoSessionsCreated');
cmp_ok($auto{SessionDemoMemcachedServers}, '>=', 5, 'SessionDemoMemcachedServers');
ok(defined $auto{SessionDemoMemcachedServersUp}
   && $auto{SessionDemoMemcachedServersUp} <= $auto{SessionDemoMemcachedServers},
   'SessionDemoMemcachedServersUp');
like($res->content, qr/^ServerUptimeSeconds: \d+$/m, "... after mod_status's own lines");
$res = fresh_get('/server-status');
like($res->content, qr{<h2 id="sessiondemo">sessiondemo</h2>}, 'the HTML report has the section');
like($res->content, qr{<table id="sessiondemo-counters"[^>]*>\s*<tr><th>sessions_created</th><td>\d+</td></tr>},
     '... with the counters table');
like($res->content, qr{<tr><th>127\.0\.0\.1:$ENV{MEMCACHED_PORT}</th><td>up</td></tr>},
     '... and the memcached servers');

# docs/monitoring.md lists every counter (one line of SD_STATS_COUNTERS
# adds one; this keeps the page up with it).
{
    open my $fh, '<', Apache::Test::vars('top_dir') . '/docs/monitoring.md' or die "docs/monitoring.md: $!";
    my $doc = do { local $/; <$fh> };
    my @undocumented = grep { index($doc, "`sessiondemo_${_}_total`") < 0 } sort keys %$json;
    is("@undocumented", '', 'docs/monitoring.md lists every counter');
}

# --- restarts -------------------------------------------------------------
# Counters of the old generation's children are still there after a
# graceful restart (SIGUSR1) and a restart (SIGHUP), and the new children
# add to them.
my $server = Apache::Test::config()->server;
sub generation {
    my ($g) = fresh_get('/server-status?auto')->content =~ /^ParentServerConfigGeneration: (\d+)$/m;
    return $g // -1;
}
sub restart_and_wait {
    my ($signal) = @_;
    my $gen = generation();
    kill $signal, $server->pid or return 0;
    my $deadline = time + 30;
    while (time < $deadline) {
        Time::HiRes::sleep(0.2);
        my $g = eval { generation() } // -1;
        return 1 if $g > $gen;
    }
    return 0;
}
for my $signal (qw(USR1 HUP)) {
    my $kind = $signal eq 'USR1' ? 'graceful restart' : 'restart';
    my $c0 = counters();
    ok(restart_and_wait($signal), "$kind (SIG$signal): a new generation serves");
    my $c1 = counters();
    my @lost = grep { ($c1->{counters}{$_} // -1) < $c0->{counters}{$_} } sort keys %{ $c0->{counters} };
    is("@lost", '', "... no counter went back (sessions_created $c0->{counters}{sessions_created}"
       . " -> $c1->{counters}{sessions_created})");
    use_vhost('sd_metrics');
    login("after-$signal");
    is(counters()->{counters}{sessions_created}, $c1->{counters}{sessions_created} + 1,
       '... and a login in the new generation adds to them');
}
