#!/usr/bin/perl
# SPDX-License-Identifier: Apache-2.0
# The `make bench` harness (see bench/README.md).
#
#   bench/bench.pl run [--quick]      wrk scenarios per lock mode, baselines, one hot
#                                     session, scaling, RSS per child -> report
#   bench/bench.pl callgrind [--update] [--profile]
#                                     instructions per request under callgrind,
#                                     compared with bench/callgrind-baseline.txt
#
# memcached, httpd (conf/httpd-run.conf with bench/overlay.conf), the
# Express peer (tests/interop/app.js, the suite's faithful port of the
# tutorial app) and the PHP peer (bench/php/: php-fpm behind its own httpd)
# run on loopback through tests/lib/env.sh, each the leader of
# its own process group (which the CPU sampling reads), and are stopped on
# exit (also on Ctrl-C or an error).
use strict;
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(make_path remove_tree);
use POSIX qw(strftime);
use Time::HiRes qw(time sleep);
use IO::Socket::INET;
use Digest::SHA qw(sha256);
use MIME::Base64 qw(encode_base64);
use JSON::PP ();
use FindBin ();
use lib "$FindBin::Bin/../tests/lib";
use SDEnv qw(env_sh mc_socket mc_get mc_stats sign_id sealed_name seal_record open_record);

$| = 1;
my $BENCH = dirname(abs_path($0));
my $TOP   = dirname($BENCH);
my $MODE  = shift(@ARGV) // 'run';
my %OPT   = map { $_ => 1 } @ARGV;
my $QUICK = $OPT{'--quick'} || ($ENV{BENCH_QUICK} // '') eq '1';

my $NPROC   = (grep { /^processor\s*:/ } slurp('/proc/cpuinfo')) || 1;
my $SECONDS = $ENV{BENCH_SECONDS} // ($QUICK ? 3 : 10);
my @CONNS   = split ' ', ($ENV{BENCH_CONNS} // '32 128');
my @SCALING = split ' ', ($ENV{BENCH_SCALING} // ($QUICK ? '1000 100000' : '1000 100000 1000000'));
my $WRK_THREADS = $ENV{WRK_THREADS} // 1;
my $EXPRESS_WORKERS = $ENV{EXPRESS_WORKERS} // $NPROC;
my $WITH_EXPRESS = ($ENV{BENCH_EXPRESS} // 1) ? 1 : 0;
my $SD_THREADS = $ENV{SD_THREADS} // 128;
my $MC_MEM     = $ENV{BENCH_MC_MEM} // 1536;
my $MC_THREADS = $ENV{BENCH_MC_THREADS} // 2;
my $LOCK_DIRECTIVE = $ENV{BENCH_LOCK_DIRECTIVE} // 'SessionDemoLock';   # Off | Host | Cluster (On), if the build has it
my $HAS_LOCK;
# Lock modes: the line written to extra/lock.conf for each, undef when this
# build does not accept it ($LOCK_NA{mode}: apache2 -t's complaint).
my (%LOCK, %LOCK_NA);
# Hot session: connections on one session, and how long wrk may go on past
# the active time to collect the answers in flight (a waiter on the Cluster
# lock can wait SessionDemoLockWait, 2 s by default).
my $HOT_CONNS = $ENV{BENCH_HOT_CONNS} // 32;
my $HOT_DRAIN = 5;
# The PHP peer (bench/php/): php-fpm children (pm static), its binary.
my $WITH_PHP = ($ENV{BENCH_PHP} // 1) ? 1 : 0;
my $PHP_CHILDREN = $ENV{BENCH_PHP_CHILDREN} // $HOT_CONNS;   # one per hot-session connection
my $PHP_FPM = $ENV{BENCH_PHP_FPM} // 'php-fpm8.2';
# RSS per child: answered requests to reach, the time bound, the first sample.
my $RSS_REQUESTS = $ENV{BENCH_RSS_REQUESTS} // ($QUICK ? 100000 : 1000000);
my $RSS_SECONDS  = $ENV{BENCH_RSS_SECONDS} // ($QUICK ? 30 : 240);
my $RSS_FIRST    = 10000;
# BENCH_SCENARIOS (e.g. "home profile hot"; "scaling" alone = only the
# scaling runs) is read by wanted().
my $APACHE = $ENV{SD_APACHE} // '/usr/sbin/apache2';   # as in tests/lib/env.sh
my $MODULE = $ENV{SD_MODULE} // "$TOP/.libs/mod_sessiondemo.so";
my $CLK_TCK = POSIX::sysconf(POSIX::_SC_CLK_TCK()) || 100;
my $VIEW_POOL = 1000;      # logged-in sessions the view scenarios rotate through
my $CART_POOL = 2000;      # sessions for add-to-cart, reloaded before each run

my $RUNDIR = "$BENCH/.run";   # tests/lib/env.sh's run directory, kept for its logs
my $STAMP  = strftime('%Y%m%d-%H%M%S', localtime);
my $OUTDIR = "$BENCH/out/$STAMP" . ($MODE eq 'run' ? '' : "-$MODE");
my $EXPRESS_DIR = "$TOP/tests/interop";

# ------------------------------------------------------------ processes
$ENV{SD_RUN} = $RUNDIR;

# sh(SCRIPT): verbs of tests/lib/env.sh; their output, or the run dies.
sub sh {
    my ($script) = @_;
    my $out = env_sh($script);
    die "bench: `$script` failed\n" unless defined $out;
    return $out;
}

my $MAIN_PID = $$;
END { local $?; env_sh('sd_env_cleanup') if $$ == $MAIN_PID; }
$SIG{INT} = $SIG{TERM} = sub { print STDERR "\ninterrupted; stopping what we started\n"; exit 130; };

sub slurp { my ($f) = @_; open(my $fh, '<', $f) or return; local $/ = wantarray ? $/ : undef; return <$fh>; }
sub spew  { my ($f, $s) = @_; open(my $fh, '>', $f) or die "$f: $!"; print $fh $s; close $fh; }

# A fresh run directory for tests/lib/env.sh, and the results directory.
sub fresh_rundir {
    remove_tree($RUNDIR);
    make_path($OUTDIR);
    sh('sd_env_init bench');
}

# ------------------------------------------------------------ memcached
my ($MC_PORT, $MC_PID);

sub start_memcached {
    sh("sd_mc_start main -m $MC_MEM -t $MC_THREADS -c 4096");
    $SDEnv::MC_PORT = $MC_PORT = sh('sd_mc_port main');
    $MC_PID = sh('sd_pid memcached-main');
}

sub stop_memcached { sh('sd_mc_stop main'); $MC_PID = undef; }

# memcached commands (round trips) between two stats snapshots.
sub mc_delta {
    my ($a, $b) = @_;
    my %d = map { $_ => ($b->{$_} // 0) - ($a->{$_} // 0) }
        qw(cmd_get cmd_set cmd_touch delete_hits delete_misses incr_hits incr_misses
           decr_hits decr_misses get_hits get_misses evictions cas_hits cas_misses cas_badval
           total_connections);
    $d{del} = $d{delete_hits} + $d{delete_misses};
    $d{arith} = $d{incr_hits} + $d{incr_misses} + $d{decr_hits} + $d{decr_misses};
    $d{total} = $d{cmd_get} + $d{cmd_set} + $d{cmd_touch} + $d{del} + $d{arith};
    return \%d;
}

# ------------------------------------------------------------ sessions
# Deterministic 32-char IDs (base64url of 24 bytes, as the module makes them).
sub sid { my ($tag, $i) = @_; my $b = encode_base64(substr(sha256("sd-bench:$tag:$i"), 0, 24), ''); $b =~ tr{+/}{-_}; return $b; }

my $SECRET;
sub cookie_for { my ($id) = @_; return 'connect.sid=' . sign_id($id, $SECRET); }

# The PHP peer's session of the same (tag, i): PHP accepts only [A-Za-z0-9,-]
# in an ID, so 32 hex digits, under php-memcached's key prefix (php-fpm.conf).
sub php_sid { my ($tag, $i) = @_; return unpack('H32', substr(sha256("sd-bench:$tag:$i"), 0, 16)); }
sub cookie_line { my ($target, $tag, $i) = @_; return $target eq 'php' ? 'PHPSESSID=' . php_sid($tag, $i) : cookie_for(sid($tag, $i)); }

sub iso { my ($t) = @_; return strftime('%Y-%m-%dT%H:%M:%S', gmtime(int $t)) . sprintf('.%03dZ', ($t - int $t) * 1000); }

# Whether preload also writes express-session's plain copy (for the
# Express peer) next to the module's sealed one; the callgrind step runs
# no Express.
my $PRELOAD_PLAIN = 1;
my $PRELOAD_PHP = 0;

# Writes sessions [from, to) of pool $tag straight into memcached, pipelined
# with noreply: in the module's default format (SessionDemoStoreFormat
# Sealed: under the keyed hash of the ID) and, for the Express peer, in
# express-session's (plain JSON under sess:<id>).
sub preload {
    my ($tag, $from, $to) = @_;
    my $t0 = time;
    my $now = time;
    my $exp = iso($now + 86400);
    my $login = iso($now);
    my $ms = int($now * 1000);
    my $s = mc_socket();
    my $buf = '';
    for my $i ($from .. $to - 1) {
        # As the module writes them: its member names the realm (bench/overlay.conf).
        my $val = qq({"cookie":{"originalMaxAge":86400000,"expires":"$exp","httpOnly":true,"path":"/","sameSite":"lax"},)
                . qq("sessiondemo":{"realm":"bench","gen":1,"saved":$ms,"created":$ms},)
                . qq("isLoggedIn":true,"username":"bench$i","loginTime":"$login","visitCount":0});
        my $key = 'sess:' . sealed_name($SECRET, sid($tag, $i));
        my $sealed = seal_record($SECRET, $key, $val, 86400);
        $buf .= "set $key 0 86400 " . length($sealed) . " noreply\r\n$sealed\r\n";
        $buf .= 'set sess:' . sid($tag, $i) . ' 2 86400 ' . length($val) . " noreply\r\n$val\r\n" if $PRELOAD_PLAIN;
        if ($PRELOAD_PHP) {   # PHP's serialize_handler "php": name|serialized value;...
            my $php = sprintf('isLoggedIn|b:1;username|s:%d:"bench%d";loginTime|s:%d:"%s";visitCount|i:0;',
                              length("bench$i"), $i, length($login), $login);
            $buf .= 'set phpsess.' . php_sid($tag, $i) . ' 0 86400 ' . length($php) . " noreply\r\n$php\r\n";
        }
        if (length($buf) > 262144) { print $s $buf or die "memcached write: $!"; $buf = ''; }
    }
    print $s $buf, "version\r\n";
    my $l = <$s>;
    die "memcached preload: unexpected reply '$l'\n" unless defined $l && $l =~ /^VERSION/;
    close $s;
    printf "  preloaded %d sessions (pool %s) in %.1fs\n", $to - $from, $tag, time - $t0;
}

sub write_cookies {
    my ($file, $tag, @idx) = @_;
    spew($file, join('', map { cookie_for(sid($tag, $_)) . "\n" } @idx));
    spew("$file.php", join('', map { cookie_line('php', $tag, $_) . "\n" } @idx)) if $PRELOAD_PHP;
}

# ------------------------------------------------------------ tiny HTTP client
sub http {
    my ($port, $method, $path, %o) = @_;
    my $s = $o{sock} // IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp')
        // die "connect $port: $!";
    my $req = "$method $path HTTP/1.1\r\nHost: 127.0.0.1:$port\r\n";
    $req .= "Cookie: $o{cookie}\r\n" if $o{cookie};
    if (defined $o{body}) {
        $req .= "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " . length($o{body}) . "\r\n";
    }
    $req .= "Connection: close\r\n" unless $o{sock};
    $req .= "\r\n" . ($o{body} // '');
    syswrite($s, $req) == length($req) or die "write: $!";
    my $buf = '';
    my $read = sub { my $n = sysread($s, $buf, 65536, length $buf); die "read: $!" unless defined $n; return $n; };
    while ($buf !~ /\r\n\r\n/) { $read->() or die "connection closed before the headers\n"; }
    my ($head, $rest) = split(/\r\n\r\n/, $buf, 2);
    my ($status) = $head =~ m{^HTTP/1\.\d (\d{3})} or die "bad status line\n";
    my @lines = split /\r\n/, $head;
    shift @lines;
    my @hdrs = map { [split(/:\s*/, $_, 2)] } @lines;
    my %h; push @{ $h{lc $_->[0]} }, $_->[1] for grep { defined $_->[1] } @hdrs;
    my $body = $rest;
    if (my ($cl) = @{ $h{'content-length'} // [] }) {
        while (length($body) < $cl) { $buf = ''; $read->() or die "short body\n"; $body .= $buf; }
    }
    elsif (grep { /chunked/i } @{ $h{'transfer-encoding'} // [] }) {
        my $raw = $body; my $out = '';
        while (1) {
            # (The match is kept in @m: $1 would not outlive the loop's block.)
            my @m;
            until (@m = $raw =~ /^(([0-9a-fA-F]+)[^\r\n]*\r\n)/) { $buf = ''; $read->() or die "short chunk\n"; $raw .= $buf; }
            my ($n, $hl) = (hex $m[1], length $m[0]);
            while (length($raw) < $hl + $n + 2) { $buf = ''; $read->() or die "short chunk\n"; $raw .= $buf; }
            $out .= substr($raw, $hl, $n); $raw = substr($raw, $hl + $n + 2);
            last if $n == 0;
        }
        $body = $out;
    }
    elsif (!$o{sock} && $status !~ /^(1|204|304)/) {
        $buf = ''; while ($read->()) { $body .= $buf; $buf = ''; }
    }
    close $s unless $o{sock};
    return { status => $status, h => \%h, body => $body };
}

sub cookie_from {
    my ($res) = @_;
    for (@{ $res->{h}{'set-cookie'} // [] }) { return $1 if /^((?:connect\.sid|PHPSESSID)=[^;]+)/; }
    return;
}

# ------------------------------------------------------------ httpd / express
my ($HTTPD_PORT, $HTTPD_PID, $EXPRESS_PORT, $EXPRESS_PID);
my $HTTPD_DIR = "$RUNDIR/httpd-bench";   # SD_RUNDIR of bench/overlay.conf

# The variables bench/overlay.conf reads, and what conf/httpd-run.conf does.
sub httpd_env {
    my ($threads) = @_;
    $ENV{SD_SECRET} = $SECRET;
    $ENV{SD_MODULE} = $MODULE;
    $ENV{SD_THREADS} = $threads;
    $ENV{SD_WORKERS} = 2 * $threads;
    $ENV{SD_MINSPARE} = $threads;
    $ENV{SD_SENDFILE} //= 'On';
    $ENV{SD_MMAP} //= 'Off';
}

sub start_httpd {
    httpd_env($SD_THREADS);
    sh("sd_httpd_start bench '$BENCH/overlay.conf' -DSD_NO_ACCESS_LOG");
    $HTTPD_PORT = sh('sd_httpd_port bench');
    $HTTPD_PID = sh('sd_pid httpd-bench');
    # Every child and thread up (all workers exist from the start).
    sleep 1;
}

sub stop_httpd { sh('sd_httpd_stop bench') if $HTTPD_PID; $HTTPD_PID = undef; }

# `apache2 -t` with the extra directive: is it known to this build?
sub directive_ok {
    my ($conf) = @_;
    make_path("$HTTPD_DIR/extra");
    spew("$HTTPD_DIR/extra/variant.conf", "$conf\n");
    httpd_env($SD_THREADS);
    # (|| true: env_sh drops the output of a failed command.)
    my $out = env_sh("sd_httpd_configtest bench '$BENCH/overlay.conf' || true") // '';
    unlink "$HTTPD_DIR/extra/variant.conf";
    # apache2 -t: "AH00526: Syntax error on line 1 of .../variant.conf:", then the reason.
    my @why = grep { /\S/ && !/Syntax OK|^AH00526/ } split /\n/, $out;
    return ($out =~ /Syntax OK/ ? 1 : 0, $why[0] // "");
}

sub start_express {
    my ($workers) = @_;
    $workers //= $EXPRESS_WORKERS;
    $EXPRESS_PORT //= sh('sd_free_port');
    my $cfg = JSON::PP->new->canonical->encode({
        memcached => "127.0.0.1:$MC_PORT", templates => "$TOP/templates", workers => $workers,
        instances => [{ name => 'bench', port => $EXPRESS_PORT + 0, secret => $SECRET, maxAge => 86400000, prefix => 'sess:',
                        storeOptions => {} }],
    });
    local $ENV{NODE_ENV} = 'production';
    spew("$RUNDIR/express.json", $cfg);
    sh(qq{sd_spawn express "\$SD_RUN/express.log" node "$EXPRESS_DIR/app.js" "\$(cat "\$SD_RUN/express.json")" && }
       . qq{sd_wait_port $EXPRESS_PORT "\$(sd_pid express)" 20});
    $EXPRESS_PID = sh('sd_pid express');
    sleep 0.5 if $workers > 1;   # let every worker listen
}

sub stop_express { sh('sd_stop express') if $EXPRESS_PID; $EXPRESS_PID = undef; }

# The PHP peer: php-fpm (bench/php/php-fpm.conf) and an httpd event in front
# of it (bench/php/httpd.conf), in $RUNDIR/php, on loopback.
my ($PHP_PORT, $PHP_HTTPD_PID, $PHP_FPM_PID);
my $PHP_DIR = "$RUNDIR/php";
sub start_php {
    make_path("$PHP_DIR/cache");
    chmod 0777, "$PHP_DIR/cache";   # php-fpm's user writes the compiled templates
    chmod 0755, $PHP_DIR;
    httpd_env($SD_THREADS);
    $PHP_PORT //= sh('sd_free_port');
    my ($user, $group) = $> == 0 ? ('nobody', 'nogroup') : (scalar getpwuid($>), scalar getgrgid((split ' ', $))[0]));
    @ENV{qw(SD_TOP SD_PHP_DIR SD_PHP_PORT SD_PHP_CHILDREN SD_MC_PORT SD_USER SD_GROUP)} =
        ($TOP, $PHP_DIR, $PHP_PORT, $PHP_CHILDREN, $MC_PORT, $user, $group);
    sh(qq{sd_spawn php-fpm "$PHP_DIR/fpm.out" $PHP_FPM -F -y "$BENCH/php/php-fpm.conf" && }
       . qq{for i in \$(seq 100); do [ -S "$PHP_DIR/fpm.sock" ] && break; sd_alive "\$(sd_pid php-fpm)" || break; sleep 0.1; done; [ -S "$PHP_DIR/fpm.sock" ]});
    $PHP_FPM_PID = sh('sd_pid php-fpm');
    sh(qq{sd_spawn httpd-php "$PHP_DIR/httpd.out" "$APACHE" -f "$BENCH/php/httpd.conf" -DFOREGROUND && }
       . qq{sd_wait_port $PHP_PORT "\$(sd_pid httpd-php)" 15});
    $PHP_HTTPD_PID = sh('sd_pid httpd-php');
    sleep 1;
}

sub stop_php {
    sh('sd_stop httpd-php') if $PHP_HTTPD_PID;
    sh('sd_stop php-fpm') if $PHP_FPM_PID;
    $PHP_HTTPD_PID = $PHP_FPM_PID = undef;
}

# ------------------------------------------------------------ CPU sampling
# utime+stime (seconds) of every live process in process group $pgid; in
# list context (utime, stime).
sub group_cpu {
    my %pg = map { $_ => 1 } grep { $_ } @_;   # or several groups
    return wantarray ? (0, 0) : 0 unless %pg;
    my ($u, $sy) = (0, 0);
    opendir(my $d, '/proc') or return 0;
    for my $p (grep { /^\d+$/ } readdir $d) {
        my $st = slurp("/proc/$p/stat") // next;
        $st =~ s/^.*\) //s;                 # fields from 3 on
        my @f = split ' ', $st;
        next unless $pg{$f[2]};             # field 5: pgrp
        $u += $f[11]; $sy += $f[12];        # fields 14, 15: utime, stime
    }
    return wantarray ? ($u / $CLK_TCK, $sy / $CLK_TCK) : ($u + $sy) / $CLK_TCK;
}

# Busy CPU seconds of the whole machine (all processes, kernel included).
sub machine_cpu {
    my ($l) = grep { /^cpu / } slurp('/proc/stat');
    my @f = split ' ', $l;
    return ($f[1] + $f[2] + $f[3] + $f[6] + $f[7] + ($f[8] // 0)) / $CLK_TCK;   # user nice system irq softirq steal
}

sub children_cpu { my @t = POSIX::times(); return ($t[3] + $t[4]) / $CLK_TCK; }

# ------------------------------------------------------------ wrk runs
my @RESULTS;

sub run_wrk {
    # target, scenario, conns, port, method, path, cookies, body, seconds;
    # optional: script (in bench/lua, default scenario.lua), threads, env
    # (more variables for the script), stop_file (a suffix of the JSON file's
    # name: once the script creates it, wrk is stopped with SIGINT, which
    # makes it report and exit before its -d).
    my (%o) = @_;
    my $secs = $o{seconds} // $SECONDS;
    my $threads = $o{threads} // $WRK_THREADS;
    my $out = "$OUTDIR/wrk-" . scalar(@RESULTS) . ".json";
    my @server_pg = $o{target} =~ /^express/ ? ($EXPRESS_PID) : $o{target} eq 'php' ? ($PHP_HTTPD_PID, $PHP_FPM_PID) : ($HTTPD_PID);
    my $mc0 = mc_stats();
    my ($srvu0, $srvs0) = group_cpu(@server_pg);
    my ($srv0, $mcc0, $wrk0, $t0) = ($srvu0 + $srvs0, scalar group_cpu($MC_PID), children_cpu(), time);
    my $all0 = machine_cpu();
    my $stop_file = $o{stop_file} ? "$out$o{stop_file}" : undef;
    unlink $stop_file if $stop_file;
    my $pid = fork() // die "fork: $!";
    if ($pid == 0) {
        $ENV{BENCH_METHOD} = $o{method} // 'GET';
        $ENV{BENCH_PATH} = $o{path};
        $ENV{BENCH_COOKIES} = $o{cookies} // '';
        $ENV{BENCH_BODY} = $o{body} // '';
        $ENV{BENCH_THREADS} = $threads;
        $ENV{BENCH_OUT} = $out;
        $ENV{LUA_PATH} = "$BENCH/lua/?.lua;;";
        $ENV{$_} = $o{env}{$_} for keys %{ $o{env} // {} };
        open(STDOUT, '>', "$out.log"); open(STDERR, '>&', \*STDOUT);
        exec('wrk', '-t', $threads, '-c', $o{conns}, '-d', "${secs}s", '--timeout', '10s',
             '-s', "$BENCH/lua/" . ($o{script} // 'scenario.lua'), "http://127.0.0.1:$o{port}$o{path}") or die "exec wrk: $!";
    }
    if ($stop_file) {
        # Bounded by wrk's own -d; the SIGINT only ends it earlier.
        my $sent;
        while (waitpid($pid, POSIX::WNOHANG()) == 0) {
            if (!$sent && -e $stop_file) { kill 'INT', $pid; $sent = 1; }
            sleep 0.05;
        }
        $o{stopped_early} = $sent ? 1 : 0;
        unlink $stop_file;
    }
    else {
        waitpid($pid, 0);
    }
    my $rc = $? >> 8;
    my ($srvu1, $srvs1) = group_cpu(@server_pg);
    my ($srv1, $mcc1, $wrk1, $t1) = ($srvu1 + $srvs1, scalar group_cpu($MC_PID), children_cpu(), time);
    my $all1 = machine_cpu();
    my $mc = mc_delta($mc0, mc_stats());
    my $j = eval { JSON::PP::decode_json(scalar slurp($out)) };
    unless ($j && $rc == 0) {
        print STDERR "wrk failed (rc $rc):\n", scalar(slurp("$out.log")) // '';
        die "wrk run failed: $o{target} $o{scenario} c=$o{conns}\n";
    }
    my $wall = $t1 - $t0;
    my $n = $j->{requests} || 1;
    my %r = (
        %o, %$j,
        # hot.lua times its own active period (first request to last
        # answer; wrk's duration includes the drain).
        rps => $j->{active_s} ? $j->{answered} / $j->{active_s} : $j->{requests} / ($j->{duration_us} / 1e6),
        errors => $j->{err_connect} + $j->{err_read} + $j->{err_write} + $j->{err_status} + $j->{err_timeout},
        mc => { map { $_ => $mc->{$_} / $n } qw(total cmd_get cmd_set cmd_touch del arith get_misses) },
        mc_evictions => $mc->{evictions},
        # Connections memcached accepted during the run: pooled connections
        # are reused, so this stays near 0 for any number of requests.
        mc_new_conns => $mc->{total_connections},
        cpu_server => 100 * ($srv1 - $srv0) / $wall,
        cpu_server_sys => 100 * ($srvs1 - $srvs0) / $wall,
        cpu_mc => 100 * ($mcc1 - $mcc0) / $wall,
        cpu_wrk => 100 * ($wrk1 - $wrk0) / $wall,
        cpu_others => 100 * (($all1 - $all0) - ($srv1 - $srv0) - ($mcc1 - $mcc0) - ($wrk1 - $wrk0)) / $wall,
        us_cpu_per_req => 1e6 * (($srv1 - $srv0) + ($mcc1 - $mcc0)) / $n,
        load1 => (split ' ', scalar slurp('/proc/loadavg'))[0],
    );
    delete @r{qw(cookies env)};
    push @RESULTS, \%r;
    printf "  %-8s %-9s c=%-4d %9.0f req/s  p50 %7.2f ms  p99 %7.2f ms  mc %.2f/req  cpu srv %3.0f%% mc %3.0f%% wrk %3.0f%% others %3.0f%%  err %d\n",
        $o{target}, $o{scenario}, $o{conns}, $r{rps}, $r{p50_us} / 1000, $r{p99_us} / 1000, $r{mc}{total},
        $r{cpu_server}, $r{cpu_mc}, $r{cpu_wrk}, $r{cpu_others}, $r{errors};
    return \%r;
}

# ------------------------------------------------------------ the run
my @SCENARIOS = (
    # name,    method, path,                  cookies, body,                  targets
    ['static',  'GET',  '/static/home.html', undef,   undef,                  ['static']],
    ['guest',   'GET',  '/',                 undef,   undef,                  ['module', 'express', 'php']],
    ['home',    'GET',  '/',                 'view',  undef,                  ['module', 'express', 'php']],
    ['profile', 'GET',  '/profile',          'view',  undef,                  ['module', 'express', 'php']],
    ['login',   'POST', '/login',            undef,   'username=u%N&password=pw', ['module', 'express', 'php']],
    ['cart',    'POST', '/add-to-cart',      'cart',  'item=widget-%N',       ['module', 'express', 'php']],
);
my %SCEN_LABEL = (
    static => 'static file, same size (A)', guest => 'guest GET /', home => 'logged-in GET /',
    profile => 'logged-in GET /profile', login => 'POST /login', cart => 'POST /add-to-cart',
);

sub machine_facts {
    my ($model) = map { /:\s*(.*)/ } grep { /^model name/ } slurp('/proc/cpuinfo');
    my ($mem) = map { /(\d+)/ } grep { /^MemTotal/ } slurp('/proc/meminfo');
    my $v = sub { my $o = `$_[0] 2>&1`; $o =~ s/\s+$//; return (split /\n/, $o)[0] // '?'; };
    my $pkg = sub { my $p = eval { JSON::PP::decode_json(scalar slurp("$EXPRESS_DIR/node_modules/$_[0]/package.json")) }; return $p ? $p->{version} : '?'; };
    return {
        date => strftime('%Y-%m-%d %H:%M:%S %Z', localtime),
        cpu => "$NPROC x " . ($model // '?'),
        mem_gb => sprintf('%.1f', ($mem // 0) / 1048576),
        kernel => $v->('uname -r'),
        httpd => $v->("$APACHE -v"),
        wrk => $v->('wrk -v'),
        node => $v->('node --version'),
        express => join(' ', map { "$_ " . $pkg->($_) } qw(express express-session connect-memcached)),
        loadavg => scalar(slurp('/proc/loadavg')) =~ s/\s+$//r,
        php => $WITH_PHP ? $v->("$PHP_FPM -v") . ', php-memcached ' . $v->(q{php -r 'echo phpversion("memcached");'}) : undef,
    };
}

# wanted(NAME): is scenario NAME part of this run (BENCH_SCENARIOS)?
sub wanted {
    my ($name) = @_;
    my $only = $ENV{BENCH_SCENARIOS};
    return 1 unless $only;
    return 0 if $only eq 'scaling';
    return " $only " =~ / \Q$name\E /;
}

# httpd restarted with lock mode MODE (cluster, host, off) and EXTRA lines in
# extra/lock.conf.
sub httpd_lock {
    my ($mode, @extra) = @_;
    stop_httpd();
    my @lines = ((defined $LOCK{$mode} ? $LOCK{$mode} : ()), @extra);
    spew("$HTTPD_DIR/extra/lock.conf", join('', map { "$_\n" } @lines));
    start_httpd();
}

my %TARGET_LOCK = (module => 'cluster', host => 'host', nolock => 'off');
sub target_label {
    my ($t) = @_;
    return 'httpd static' if $t eq 'static';
    return "Express ($EXPRESS_WORKERS proc)" if $t eq 'express';
    return "PHP 8.2 (php-fpm $PHP_CHILDREN, memcached sessions, lock on)" if $t eq 'php';
    return 'Express (1 proc)' if $t eq 'express1';
    return 'mod_sessiondemo (no lock in this build)' unless $HAS_LOCK;
    return 'mod_sessiondemo, lock Host' if $t eq 'host';
    return 'mod_sessiondemo, lock Off' if $t eq 'nolock';
    return 'mod_sessiondemo, lock Cluster' . (($LOCK{cluster} // '') =~ / On$/ ? ' (written On)' : '');
}

# Rows that could not run in this build: (target, scenario, conns).
my @NA_ROWS;

# The stored session's visitCount, straight from memcached (raw get, the
# module's copy opened, Express's as is); undef when the key is missing or
# not JSON.
sub stored_visits {
    my ($id, $target) = @_;
    my $key = $target eq 'express' ? "sess:$id" : $target eq 'php' ? "phpsess.$id" : 'sess:' . sealed_name($SECRET, $id);
    my ($flags, $data) = mc_get($key);
    return $data =~ /(?:^|;)visitCount\|i:(\d+);/ ? $1 + 0 : undef if $target eq 'php' && defined $data;
    $data = open_record([$SECRET], $key, $data) if defined $data && $target ne 'express';
    return undef unless defined $data;
    my $j = eval { JSON::PP::decode_json($data) };
    return $j && defined $j->{visitCount} ? $j->{visitCount} + 0 : undef;
}

# One hot session: $HOT_CONNS connections all on one fresh logged-in
# session, logged-in GET / (each view adds 1 to visitCount) for $SECONDS;
# then visitCount's increase against the 200s wrk saw.
my $HOT_N = 0;
sub run_hot {
    my ($target, $port) = @_;
    my $k = $HOT_N++;
    preload('hot', $k, $k + 1);
    my $id = $target eq 'php' ? php_sid('hot', $k) : sid('hot', $k);
    my $before = stored_visits($id, $target);
    die "hot session: the preloaded session is not in memcached\n" unless defined $before;
    my $r = run_wrk(target => $target, scenario => 'hot', conns => $HOT_CONNS, port => $port, method => 'GET', path => '/',
                    script => 'hot.lua', threads => 1, seconds => $SECONDS + $HOT_DRAIN, stop_file => '.idle',
                    env => { BENCH_COOKIE => cookie_line($target, 'hot', $k), BENCH_ACTIVE => $SECONDS });
    sleep 0.5;   # a save that follows the answer
    my $after = stored_visits($id, $target);
    $r->{visits_before} = $before;
    $r->{visits_after} = $after;
    $r->{visit_increase} = defined $after ? $after - $before : undef;
    $r->{lost_visits} = defined $after ? $r->{ok200} - ($after - $before) : undef;
    $r->{unanswered} = $r->{sent} - $r->{answered};
    $r->{non200} = $r->{answered} - $r->{ok200};
    $r->{sock_errors} = $r->{err_connect} + $r->{err_read} + $r->{err_write} + $r->{err_timeout};
    printf "  hot session: %d answered 200, visitCount %s -> %s, lost %s, non-200 %d (%s), unanswered at the stop %d\n",
        $r->{ok200}, $before, $after // 'missing', $r->{lost_visits} // '?', $r->{non200}, $r->{other_status} || '-', $r->{unanswered};
    return $r;
}

# VmRSS (kB) of every child of httpd's parent process, by pid.
sub httpd_children_rss {
    my %rss;
    return \%rss unless $HTTPD_PID;
    opendir(my $d, '/proc') or return \%rss;
    for my $p (grep { /^\d+$/ } readdir $d) {
        my $st = slurp("/proc/$p/status") // next;
        next unless $st =~ /^PPid:\s+(\d+)$/m && $1 == $HTTPD_PID;
        $rss{$p} = $st =~ /^VmRSS:\s+(\d+) kB/m ? $1 : undef;
    }
    return \%rss;
}

# RSS per child: logged-in GET / over the rotating sessions until
# $RSS_REQUESTS answers, or $RSS_SECONDS; VmRSS of each child after the first
# $RSS_FIRST answers and at the end. Two wrk runs, each stopped by
# scenario.lua's BENCH_STOP_AFTER.
sub run_rss {
    my ($target) = @_;
    my $conns = $CONNS[-1];
    my $t0 = time;
    my %common = (target => $target, conns => $conns, port => $HTTPD_PORT, method => 'GET', path => '/',
                  cookies => "$RUNDIR/cookies-view.txt", threads => 1, stop_file => '.stop');
    my $first_n = $RSS_REQUESTS < $RSS_FIRST ? $RSS_REQUESTS : $RSS_FIRST;
    my $first = run_wrk(%common, scenario => 'rss-first', seconds => int($RSS_SECONDS / 2) || 1,
                        env => { BENCH_STOP_AFTER => $first_n });
    my $rss_first = httpd_children_rss();
    my $done = $first->{requests};
    my $left_time = int($RSS_SECONDS - (time - $t0));
    my $rest;
    if ($done < $RSS_REQUESTS && $left_time >= 1) {
        $rest = run_wrk(%common, scenario => 'rss-rest', seconds => $left_time,
                        env => { BENCH_STOP_AFTER => $RSS_REQUESTS - $done });
        $done += $rest->{requests};
    }
    my $rss_end = httpd_children_rss();
    my %res = (target => $target, conns => $conns, requests => $done, goal => $RSS_REQUESTS, first => $first_n,
               first_requests => $first->{requests}, seconds => time - $t0, limit => $RSS_SECONDS,
               reached => $done >= $RSS_REQUESTS ? 1 : 0, errors => $first->{errors} + ($rest ? $rest->{errors} : 0),
               rps => $rest ? $rest->{rps} : $first->{rps}, children => []);
    my %pids = map { $_ => 1 } keys %$rss_first, keys %$rss_end;
    for my $p (sort { $a <=> $b } keys %pids) {
        push @{ $res{children} }, { pid => $p, rss_first => $rss_first->{$p}, rss_end => $rss_end->{$p} };
    }
    printf "  RSS: %d requests in %.0f s (%s); %s\n", $done, $res{seconds},
        $res{reached} ? 'reached' : "time limit $RSS_SECONDS s",
        join(', ', map { sprintf('pid %d %s -> %s kB', $_->{pid}, $_->{rss_first} // '-', $_->{rss_end} // '-') } @{ $res{children} });
    return \%res;
}

# The latest `bench.pl callgrind` figures (bench/out/*-callgrind/callgrind.json),
# and whether they come from this `make bench` (BENCH_INVOCATION).
sub latest_callgrind {
    my ($f) = (sort glob("$BENCH/out/*-callgrind/callgrind.json"))[-1];
    return undef unless $f;
    my $j = eval { JSON::PP::decode_json(scalar slurp($f)) } or return undef;
    $j->{file} = $f =~ s{^\Q$TOP\E/}{}r;
    $j->{same_invocation} = ($ENV{BENCH_INVOCATION} // '') ne '' && ($j->{invocation} // '') eq $ENV{BENCH_INVOCATION};
    return $j;
}

sub do_run {
    for my $tool (qw(wrk memcached node npm)) {
        next if $tool =~ /node|npm/ && !$WITH_EXPRESS;
        system("command -v $tool >/dev/null") == 0 or die "$tool is not installed (make bench-deps)\n";
    }
    system("command -v $PHP_FPM >/dev/null") == 0 or die "$PHP_FPM is not installed (make bench-deps)\n" if $WITH_PHP;
    -f $MODULE or die "$MODULE is missing: run make first\n";
    my $t_start = time;
    fresh_rundir();
    make_path("$HTTPD_DIR/htdocs/static", "$HTTPD_DIR/extra");
    chmod 0755, $HTTPD_DIR, "$HTTPD_DIR/htdocs", "$HTTPD_DIR/htdocs/static";
    $SECRET = encode_base64(join('', map { chr rand 256 } 1 .. 36), '');
    $PRELOAD_PLAIN = $WITH_EXPRESS ? 1 : 0;
    $PRELOAD_PHP = $WITH_PHP;
    sh("sd_npm_ci '$EXPRESS_DIR'") if $WITH_EXPRESS;

    my $facts = machine_facts();
    print "bench: $facts->{cpu}, load before: $facts->{loadavg}\n";
    print "bench: ${SECONDS}s per run, connections @CONNS, wrk -t$WRK_THREADS, httpd 2x$SD_THREADS threads, ",
          "express workers $EXPRESS_WORKERS, memcached $MC_THREADS threads, $MC_MEM MB\n";

    start_memcached();
    $facts->{memcached} = 'memcached ' . ((SDEnv::mc_command('version') // '?') =~ s/^VERSION //r);
    preload('v', 0, $VIEW_POOL);
    write_cookies("$RUNDIR/cookies-view.txt", 'v', 0 .. $VIEW_POOL - 1);

    # Which lock modes this build knows (apache2 -t).
    my ($ok, $why) = directive_ok("$LOCK_DIRECTIVE On");
    $HAS_LOCK = $ok;
    if ($HAS_LOCK) {
        $LOCK{off} = "$LOCK_DIRECTIVE Off";
        ($ok) = directive_ok("$LOCK_DIRECTIVE Cluster");
        $LOCK{cluster} = $ok ? "$LOCK_DIRECTIVE Cluster" : "$LOCK_DIRECTIVE On";
        ($ok, $why) = directive_ok("$LOCK_DIRECTIVE Host");
        if ($ok) { $LOCK{host} = "$LOCK_DIRECTIVE Host"; } else { $LOCK_NA{host} = $why; }
    }
    else {
        $LOCK_NA{$_} = $why for qw(host cluster off);
    }
    $facts->{locks} = { map { $_ => $LOCK{$_} // "not available in this build ($LOCK_NA{$_})" } qw(cluster host off) };
    print "bench: lock modes: ", join('; ', map { "$_: $facts->{locks}{$_}" } qw(cluster host off)), "\n";
    spew("$HTTPD_DIR/extra/lock.conf", $HAS_LOCK ? "$LOCK{cluster}\n" : '');
    start_httpd();
    start_express() if $WITH_EXPRESS;
    start_php() if $WITH_PHP;

    # The static baseline is the logged-in home page itself, byte for byte.
    my $home = http($HTTPD_PORT, 'GET', '/', cookie => cookie_for(sid('v', $VIEW_POOL - 1)));
    die "logged-in GET / did not render a logged-in page (status $home->{status})\n"
        unless $home->{status} == 200 && $home->{body} =~ /Logged In/;
    spew("$HTTPD_DIR/htdocs/static/home.html", $home->{body});
    my %size = (module => length $home->{body});
    my $st = http($HTTPD_PORT, 'GET', '/static/home.html');
    die "static baseline not served ($st->{status})\n" unless $st->{status} == 200 && $st->{body} eq $home->{body};
    if ($WITH_EXPRESS) {
        my $eh = http($EXPRESS_PORT, 'GET', '/', cookie => cookie_for(sid('v', $VIEW_POOL - 2)));
        die "express did not read a preloaded session (status $eh->{status})\n"
            unless $eh->{status} == 200 && $eh->{body} =~ /Logged In/;
        $size{express} = length $eh->{body};
    }
    if ($WITH_PHP) {
        my $ph = http($PHP_PORT, 'GET', '/', cookie => cookie_line('php', 'v', $VIEW_POOL - 2));
        die "php did not read a preloaded session (status $ph->{status})\n"
            unless $ph->{status} == 200 && $ph->{body} =~ /Logged In/;
        $size{php} = length $ph->{body};
    }
    # Smoke-check every route the scenarios use, on both servers.
    for my $t (['module', $HTTPD_PORT], $WITH_EXPRESS ? ['express', $EXPRESS_PORT] : (), $WITH_PHP ? ['php', $PHP_PORT] : ()) {
        my $l = http($t->[1], 'POST', '/login', body => 'username=smoke&password=pw');
        die "$t->[0]: POST /login gave $l->{status}\n" unless $l->{status} == 302 && cookie_from($l);
        my $c = http($t->[1], 'POST', '/add-to-cart', body => 'item=x', cookie => cookie_from($l));
        die "$t->[0]: POST /add-to-cart gave $c->{status}\n" unless $c->{status} == 200 && $c->{body} =~ /"success":\s*true/;
        my $p = http($t->[1], 'GET', '/profile', cookie => cookie_from($l));
        die "$t->[0]: GET /profile gave $p->{status}\n" unless $p->{status} == 200;
    }
    printf "bench: logged-in home page %d bytes (module)%s%s; static copy served by the same httpd\n",
        $size{module}, $WITH_EXPRESS ? ", $size{express} bytes (express)" : '', $WITH_PHP ? ", $size{php} bytes (php)" : '';

    my %port = (static => $HTTPD_PORT, module => $HTTPD_PORT, host => $HTTPD_PORT, nolock => $HTTPD_PORT, express => $EXPRESS_PORT, php => $PHP_PORT);
    my %scen = map { $_->[0] => $_ } @SCENARIOS;
    my $SCALING_ONLY = ($ENV{BENCH_SCENARIOS} // '') eq 'scaling';
    # One wrk run of scenario NAME against TARGET (the server already set up).
    my $one = sub {
        my ($target, $name, $conns) = @_;
        my (undef, $method, $path, $pool, $body) = @{ $scen{$name} };
        my $cookies;
        if (($pool // '') eq 'view') { $cookies = "$RUNDIR/cookies-view.txt"; }
        elsif (($pool // '') eq 'cart') {
            preload('c', 0, $CART_POOL);   # same starting carts for every run
            write_cookies($cookies = "$RUNDIR/cookies-cart.txt", 'c', 0 .. $CART_POOL - 1);
        }
        $cookies .= '.php' if $cookies && $target eq 'php';
        return run_wrk(target => $target, scenario => $name, conns => $conns, port => $port{$target},
                       method => $method, path => $path, cookies => $cookies, body => $body);
    };

    # 1. Every scenario, module with the Cluster lock (the default) and Express.
    print "bench: module rows with ", ($HAS_LOCK ? $LOCK{cluster} : 'no lock (not in this build)'), "\n";
    for my $conns ($SCALING_ONLY ? () : @CONNS) {
        for my $sc (@SCENARIOS) {
            my ($name, $targets) = @$sc[0, 5];
            next unless $name eq 'static' || wanted($name);
            for my $target (@$targets) {
                next if $target eq 'express' && !$WITH_EXPRESS || $target eq 'php' && !$WITH_PHP;
                $one->($target, $name, $conns);
            }
        }
    }

    # 2. One hot session, Express (2 processes; express-session has no lock).
    my %hot;
    my $HOT = !$SCALING_ONLY && wanted('hot');
    if ($HOT && $WITH_EXPRESS) {
        print "bench: one hot session, Express\n";
        $hot{express} = run_hot('express', $EXPRESS_PORT);
    }
    if ($HOT && $WITH_PHP) {
        print "bench: one hot session, PHP\n";
        $hot{php} = run_hot('php', $PHP_PORT);
    }
    stop_php();
    $PRELOAD_PHP = 0;

    # 3. The tutorial's app as written runs one node process: logged-in GET /
    # with that too, for reference (the goals use the EXPRESS_WORKERS figures).
    if ($WITH_EXPRESS && !$SCALING_ONLY && $EXPRESS_WORKERS > 1 && ($ENV{BENCH_EXPRESS_SINGLE} // 1) && wanted('home')) {
        stop_express();
        start_express(1);
        run_wrk(target => 'express1', scenario => 'home', conns => $_, port => $EXPRESS_PORT,
                method => 'GET', path => '/', cookies => "$RUNDIR/cookies-view.txt") for @CONNS;
    }
    stop_express();

    # 4. The other lock modes: Host (home, profile, cart), then Off (home,
    # profile); each followed by its hot-session run, with the default
    # SessionDemoLockWaiters (issue 22: the defaults serve one hot session).
    my %mode_rows = (host => [qw(home profile cart)], nolock => [qw(home profile)]);
    my @mode_conns = $QUICK ? ($CONNS[0]) : @CONNS;   # quick: the smoke test of these at one count
    for my $target ($HAS_LOCK && !$SCALING_ONLY ? qw(host nolock) : ()) {
        my $mode = $TARGET_LOCK{$target};
        my @names = grep { wanted($_) } @{ $mode_rows{$target} };
        if (!defined $LOCK{$mode}) {
            push @NA_ROWS, map { my $n = $_; map { [$target, $n, $_] } @mode_conns } @names;
            print "bench: lock $mode not available in this build ($LOCK_NA{$mode}); its rows are skipped\n";
            next;
        }
        if (@names) {
            print "bench: module rows with $LOCK{$mode}\n";
            httpd_lock($mode);
            for my $conns (@mode_conns) { $one->($target, $_, $conns) for @names; }
        }
        if ($HOT) {
            print "bench: one hot session, $LOCK{$mode}\n";
            httpd_lock($mode);
            $hot{$target} = run_hot($target, $HTTPD_PORT);
        }
    }
    if ($HOT) {
        print "bench: one hot session, ", ($HAS_LOCK ? $LOCK{cluster} : 'no lock in this build'), "\n";
        httpd_lock('cluster');
        $hot{module} = run_hot('module', $HTTPD_PORT);
    }

    # 5. Scaling: the same logged-in GET / with more and more stored
    # sessions, in a fresh memcached (the runs above left ~0.5 M login
    # sessions in the old one, and memcached never shrinks its hash table).
    my @scale = ($ENV{BENCH_SCENARIOS} && !$SCALING_ONLY && !wanted('scaling')) ? () : @SCALING;
    if (@scale) {
        stop_httpd();
        stop_memcached();
        start_memcached();
        preload('v', 0, $VIEW_POOL);
        spew("$HTTPD_DIR/extra/lock.conf", $HAS_LOCK ? "$LOCK{cluster}\n" : '');
        start_httpd();
    }
    my %scaling;
    my $loaded = $VIEW_POOL;
    my $sc_conns = $CONNS[-1];
    for my $n (@scale) {
        if ($n > $loaded) { preload('v', $loaded, $n); $loaded = $n; }
        my @idx = $n <= 2000 ? (0 .. $n - 1) : map { int rand $n } 1 .. 2000;
        write_cookies("$RUNDIR/cookies-scale.txt", 'v', @idx);
        my $st = mc_stats();
        printf "  memcached: %d items, %.0f MB\n", $st->{curr_items}, $st->{bytes} / 1048576;
        $scaling{$n} = run_wrk(target => 'module', scenario => "scale-$n", conns => $sc_conns, port => $HTTPD_PORT,
                               method => 'GET', path => '/', cookies => "$RUNDIR/cookies-scale.txt");
        $scaling{$n}{items} = $st->{curr_items};
    }

    # 6. RSS per child over $RSS_REQUESTS requests, in a fresh httpd with the
    # Host lock (else the default).
    my $rss;
    if (!$SCALING_ONLY && wanted('rss')) {
        my $target = defined $LOCK{host} ? 'host' : 'module';
        print "bench: RSS per child over $RSS_REQUESTS requests (at most $RSS_SECONDS s), ",
              ($HAS_LOCK ? $LOCK{$TARGET_LOCK{$target}} : 'no lock in this build'), "\n";
        httpd_lock($TARGET_LOCK{$target});
        $rss = run_rss($target);
    }

    $facts->{loadavg_after} = scalar(slurp('/proc/loadavg')) =~ s/\s+$//r;
    $facts->{run_seconds} = time - $t_start;
    env_sh('sd_env_cleanup');
    my $cg = latest_callgrind();
    my $report = report($facts, \%size, \%scaling, \%hot, $rss, $cg);
    spew("$OUTDIR/report.md", $report);
    spew("$OUTDIR/results.json", JSON::PP->new->canonical->pretty->encode(
        { facts => $facts, sizes => \%size, runs => \@RESULTS, hot => \%hot, rss => $rss, callgrind => $cg,
          not_available => \@NA_ROWS }));
    unlink "$BENCH/out/latest";
    symlink($STAMP, "$BENCH/out/latest");
    print "\n$report\nbench: report in bench/out/$STAMP/report.md\n";
}

sub find_run {
    my ($target, $scen, $conns) = @_;
    my ($r) = grep { $_->{target} eq $target && $_->{scenario} eq $scen && $_->{conns} == $conns } @RESULTS;
    return $r;
}

my @TARGET_ORDER = qw(static module host nolock express express1 php);

sub report {
    my ($f, $size, $scaling, $hot, $rss, $cg) = @_;
    my $o = '';
    my $na = 'not available in this build';
    $o .= "## Run of $f->{date}" . ($QUICK ? ' (bench-quick)' : '') . "\n\n";
    $o .= "- machine: $f->{cpu}, $f->{mem_gb} GB RAM, Linux $f->{kernel}\n";
    $o .= "- load average before: $f->{loadavg}; after: $f->{loadavg_after}\n";
    $o .= sprintf("- run time: %d min %02d s (wrk runs and set-up; a callgrind step before it is not included)\n",
                  $f->{run_seconds} / 60, $f->{run_seconds} % 60);
    $o .= "- $f->{httpd}; $f->{memcached}; wrk $f->{wrk}; node $f->{node}; $f->{express}\n";
    $o .= "- ${SECONDS}s per run; wrk -t$WRK_THREADS; httpd event MPM 2 x $SD_THREADS threads, sendfile on, mmap off; "
        . "Express: node:cluster with $EXPRESS_WORKERS worker(s) (rows 'Express (1 proc)': the tutorial's single process); memcached $MC_THREADS threads, $MC_MEM MB\n";
    if ($HAS_LOCK) {
        $o .= "- lock modes: 'lock Cluster' rows run with `$LOCK{cluster}` (the default)"
            . ($LOCK{cluster} =~ / On$/ ? ", since this build does not accept `$LOCK_DIRECTIVE Cluster`" : '')
            . "; 'lock Host' rows with " . (defined $LOCK{host} ? "`$LOCK{host}`" : "`$LOCK_DIRECTIVE Host`: $na ($LOCK_NA{host})")
            . "; 'lock Off' rows with `$LOCK{off}`\n";
    }
    else {
        $o .= "- this build has no session locking ($LOCK_NA{cluster})\n";
    }
    $o .= "- PHP peer: $f->{php}, php-fpm (pm static, $PHP_CHILDREN children, OPcache on) behind httpd event (mod_proxy_fcgi, same MPM settings), "
        . "php-memcached sessions with locking on and persistent connections\n" if $WITH_PHP;
    $o .= "- logged-in home page: $size->{module} bytes (module)" . (defined $size->{express} ? ", $size->{express} bytes (Express)" : '')
        . (defined $size->{php} ? ", $size->{php} bytes (PHP)" : '')
        . "; the static baseline is the module's page, byte for byte\n\n";

    # The main table: by connections, scenario, then server.
    my %scen_pos = map { $SCENARIOS[$_][0] => $_ } 0 .. $#SCENARIOS;
    my %tgt_pos = map { $TARGET_ORDER[$_] => $_ } 0 .. $#TARGET_ORDER;
    my %conn_pos = map { $CONNS[$_] => $_ } 0 .. $#CONNS;
    my @rows = ((grep { defined $scen_pos{$_->{scenario}} } @RESULTS),
                map { { target => $_->[0], scenario => $_->[1], conns => $_->[2], na => 1 } } @NA_ROWS);
    @rows = sort { ($conn_pos{$a->{conns}} // 99) <=> ($conn_pos{$b->{conns}} // 99)
                   || $scen_pos{$a->{scenario}} <=> $scen_pos{$b->{scenario}}
                   || $tgt_pos{$a->{target}} <=> $tgt_pos{$b->{target}} } @rows;
    $o .= "| scenario | conns | server | req/s | p50 ms | p99 ms | mc cmds/req (get/set/del/touch) | CPU % server (of it kernel) / memcached / wrk | server+mc CPU µs/req | other processes' CPU % | new mc conns | errors |\n";
    $o .= "|---|---:|---|---:|---:|---:|---|---|---:|---:|---:|---:|\n";
    for my $r (@rows) {
        if ($r->{na}) {
            $o .= sprintf("| %s | %d | %s | $na | | | | | | | | |\n", $SCEN_LABEL{$r->{scenario}}, $r->{conns}, target_label($r->{target}));
            next;
        }
        my $m = $r->{mc};
        $o .= sprintf("| %s | %d | %s | %.0f | %.2f | %.2f | %.2f (%.2f/%.2f/%.2f/%.2f) | %.0f (%.0f) / %.0f / %.0f | %.0f | %.0f | %d | %d |\n",
            $SCEN_LABEL{$r->{scenario}} // $r->{scenario}, $r->{conns}, target_label($r->{target}),
            $r->{rps}, $r->{p50_us} / 1000, $r->{p99_us} / 1000,
            $m->{total}, $m->{cmd_get}, $m->{cmd_set}, $m->{del}, $m->{cmd_touch},
            $r->{cpu_server}, $r->{cpu_server_sys}, $r->{cpu_mc}, $r->{cpu_wrk}, $r->{us_cpu_per_req}, $r->{cpu_others},
            $r->{mc_new_conns} // 0, $r->{errors});
    }

    my @hot_order = grep { $hot->{$_} || ($_ eq 'host' && $HAS_LOCK && !defined $LOCK{host} && %$hot) } qw(host module nolock express php);
    if (@hot_order) {
        $o .= "\n### One hot session: $HOT_CONNS connections on one logged-in session, logged-in GET /\n\n"
            . "Every view adds 1 to the session's `visitCount`; afterwards the stored session is read straight from memcached "
            . "(raw `get`) and the increase compared with the 200 answers wrk counted (`bench/lua/hot.lua`): "
            . "lost visits = 200 answers - increase. New requests stop after ${SECONDS}s and the answers in flight are collected "
            . "(up to $HOT_DRAIN s more); 'unanswered' are requests still without an answer then (each may or may not have been counted). "
            . "The module runs with its default `SessionDemoLockWaiters`; PHP with php-memcached's session locking and its default "
            . "lock waits (a request that cannot take the lock gets 503 from the app); non-200 answers are errors.\n\n";
        $o .= "| server | req/s | p50 ms | p99 ms | 200 answers | visitCount before → after | lost visits | non-200 answers | socket errors | unanswered | mc cmds/req | server+mc CPU µs/req |\n"
            . "|---|---:|---:|---:|---:|---|---:|---|---:|---:|---:|---:|\n";
        for my $t (@hot_order) {
            my $r = $hot->{$t};
            if (!$r) { $o .= "| " . target_label($t) . " | $na | | | | | | | | | | |\n"; next; }
            $o .= sprintf("| %s | %.0f | %.2f | %.2f | %d | %s → %s | %s | %d%s | %d | %d | %.2f | %.0f |\n", target_label($t),
                $r->{rps}, $r->{p50_us} / 1000, $r->{p99_us} / 1000, $r->{ok200}, $r->{visits_before}, $r->{visits_after} // 'missing',
                $r->{lost_visits} // '?', $r->{non200}, $r->{other_status} ? " ($r->{other_status})" : '', $r->{sock_errors},
                $r->{unanswered}, $r->{mc}{total}, $r->{us_cpu_per_req});
        }
    }

    if ($rss) {
        $o .= sprintf("\n### RSS per httpd child: logged-in GET / (%s, %d rotating sessions, %d connections)\n\n",
                      target_label($rss->{target}), $VIEW_POOL, $rss->{conns});
        $o .= sprintf("%d requests answered in %.0f s (%s; goal %d, time limit %d s, %.0f req/s); %d errors. "
                      . "VmRSS from /proc/PID/status of each child of the httpd parent, after the first %d answers and at the end.\n\n",
                      $rss->{requests}, $rss->{seconds}, $rss->{reached} ? 'reached the goal' : '**stopped at the time limit**',
                      $rss->{goal}, $rss->{limit}, $rss->{rps}, $rss->{errors}, $rss->{first});
        $o .= "| child pid | VmRSS after $rss->{first} requests | VmRSS at the end | growth |\n|---:|---:|---:|---:|\n";
        for my $c (@{ $rss->{children} }) {
            my $g = defined $c->{rss_first} && defined $c->{rss_end} ? sprintf('%+d kB', $c->{rss_end} - $c->{rss_first})
                  : defined $c->{rss_first} ? 'child gone' : 'new child';
            $o .= sprintf("| %d | %s | %s | %s |\n", $c->{pid}, map({ defined $_ ? "$_ kB" : '-' } $c->{rss_first}, $c->{rss_end}), $g);
        }
    }

    if (%$scaling) {
        $o .= "\n### Scaling: logged-in GET / (" . target_label('module') . ", $CONNS[-1] connections) vs stored sessions\n\n";
        $o .= "| sessions loaded | memcached items | req/s | p50 ms | p99 ms | get misses/req | httpd+mc CPU µs/req | memcached CPU µs/req | other processes' CPU % | req/s vs first |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
        my $base = $scaling->{$SCALING[0]}{rps};
        for my $n (@SCALING) {
            my $r = $scaling->{$n};
            $o .= sprintf("| %d | %d | %.0f | %.2f | %.2f | %.3f | %.0f | %.1f | %.0f | %.1f %% |\n", $n, $r->{items}, $r->{rps},
                $r->{p50_us} / 1000, $r->{p99_us} / 1000, $r->{mc}{get_misses}, $r->{us_cpu_per_req},
                1e4 * $r->{cpu_mc} / $r->{rps}, $r->{cpu_others}, 100 * $r->{rps} / $base);
        }
    }

    $o .= goals($scaling, $hot, $rss, $cg);
    $o .= "\nmc cmds/req: memcached `stats` deltas (cmd_get, cmd_set incl. add, delete hits+misses, cmd_touch, incr/decr) "
        . "over the run divided by the requests wrk completed. CPU %: utime+stime from /proc over the run's wall time, "
        . "100 % = one core (this machine has $NPROC); other processes' CPU % = the machine's busy time from /proc/stat minus ours (load from other work). errors: wrk socket errors + HTTP status >= 400.\n";
    return $o;
}

# Issue 13's goals, judged on this run's own ratios.
sub goals {
    my ($scaling, $hot, $rss, $cg) = @_;
    my $o = "\n### Goals (issue 13; ratios from this run)\n\n| goal | measured | verdict |\n|---|---|---|\n";
    my $goal = sub { my ($what, $val, $ok) = @_; $o .= "| $what | $val | " . (!defined $ok ? 'n/a' : $ok ? 'met' : '**not met**') . " |\n"; };
    my $na = 'not available in this build';
    my $ex = "Express ($EXPRESS_WORKERS proc)";
    # Why a module row a goal needs is missing.
    my $missing = sub {
        my ($t, $c) = @_;
        return $na if $t eq 'host' && $HAS_LOCK && !defined $LOCK{host};
        return "not run (--quick runs the Host and Off rows at $CONNS[0] connections only)" if $QUICK && $t ne 'module' && $c != $CONNS[0];
        return 'not run';
    };
    for my $c (@CONNS) {
        my $st = find_run('static', 'static', $c);
        my $eh = find_run('express', 'home', $c);
        for my $g (['host', 'Host', 0.65, 6], ['module', 'Cluster (default)', 0.45, 4]) {
            my ($t, $name, $pst, $xex) = @$g;
            my $h = find_run($t, 'home', $c);
            my $what = "logged-in GET /, $name lock, c=$c";
            if (!$h) {
                $goal->("$what: >= " . 100 * $pst . " % of static, >= ${xex}x Express", $missing->($t, $c), undef);
                next;
            }
            if ($st) {
                my $x = $h->{rps} / $st->{rps};
                $goal->("$what: >= " . 100 * $pst . " % of static", sprintf('%.0f %% (%.0f / %.0f req/s)', 100 * $x, $h->{rps}, $st->{rps}), $x >= $pst);
            }
            if ($eh) {
                my $x = $h->{rps} / $eh->{rps};
                $goal->("$what: >= ${xex}x $ex", sprintf('%.2fx (%.0f / %.0f req/s)', $x, $h->{rps}, $eh->{rps}), $x >= $xex);
            }
        }
        my $ec = find_run('express', 'cart', $c);
        for my $g (['host', 'Host'], ['module', 'Cluster']) {
            my ($t, $name) = @$g;
            my $m = find_run($t, 'cart', $c);
            my $what = "POST /add-to-cart, $name lock, c=$c: >= 4x $ex";
            if (!$m) { $goal->($what, $missing->($t, $c), undef); next; }
            next unless $ec;
            my $x = $m->{rps} / $ec->{rps};
            $goal->($what, sprintf('%.2fx (%.0f / %.0f req/s)', $x, $m->{rps}, $ec->{rps}), $x >= 4);
        }
        # p99: one line per lock mode and connection count, every scenario.
        for my $t (qw(module host nolock)) {
            my (@parts, $all, $any);
            $all = 1;
            for my $s (map { $_->[0] } @SCENARIOS) {
                my ($m, $e) = (find_run($t, $s, $c), find_run('express', $s, $c));
                next unless $m && $e;
                my $x = $m->{p99_us} / ($e->{p99_us} || 1);
                my $txt = sprintf('%s %.2f/%.2f ms = %.2f', $SCEN_LABEL{$s}, $m->{p99_us} / 1000, $e->{p99_us} / 1000, $x);
                push @parts, $x <= 0.2 ? $txt : "**$txt**";
                $all &&= $x <= 0.2;
                $any = 1;
            }
            if ($any) { $goal->("p99 <= 1/5 of Express's, " . target_label($t) . ", c=$c", join('; ', @parts), $all); }
            elsif ($t eq 'host' && $HAS_LOCK && !defined $LOCK{host}) { $goal->("p99 <= 1/5 of Express's, lock Host, c=$c", $na, undef); }
        }
    }
    if (my $e = $hot->{express}) {
        my (@parts, $all);
        $all = 1;
        for my $t (grep { $hot->{$_} } qw(host module nolock)) {
            my $x = $hot->{$t}{p99_us} / ($e->{p99_us} || 1);
            my $txt = sprintf('%s %.2f/%.2f ms = %.2f', target_label($t), $hot->{$t}{p99_us} / 1000, $e->{p99_us} / 1000, $x);
            push @parts, $x <= 0.2 ? $txt : "**$txt**";
            $all &&= $x <= 0.2;
        }
        $goal->("p99 <= 1/5 of Express's, one hot session, c=$HOT_CONNS", join('; ', @parts), $all) if @parts;
    }
    {
        my $what = "one hot session, $HOT_CONNS connections, Host lock: >= 5x Express's req/s, 0 lost visits";
        my ($h, $e) = ($hot->{host}, $hot->{express});
        my $etxt = $e ? sprintf('Express lost %s of %d visits (%.0f req/s)', $e->{lost_visits} // '?', $e->{ok200}, $e->{rps}) : 'no Express run';
        if (!$h) {
            $goal->($what, ($HAS_LOCK && !defined $LOCK{host} ? $na : 'not run') . "; $etxt", undef) if %$hot;
        }
        else {
            my $x = $e ? $h->{rps} / $e->{rps} : undef;
            # 0 lost: every 200 counted, and no visit beyond what the
            # unanswered requests (served, answer not read) can explain.
            my $lost = $h->{lost_visits};
            my $lost_ok = defined $lost && $lost <= 0 && -$lost <= $h->{unanswered} && $h->{non200} == 0 && $h->{sock_errors} == 0;
            my $txt = sprintf('%s; lost visits %s%s%s; %s', defined $x ? sprintf('%.2fx (%.0f / %.0f req/s)', $x, $h->{rps}, $e->{rps}) : 'no Express run',
                              $lost // '?', $h->{unanswered} ? " ($h->{unanswered} unanswered)" : '',
                              $h->{non200} || $h->{sock_errors} ? ", $h->{non200} non-200 answers, $h->{sock_errors} socket errors" : '', $etxt);
            $goal->($what, $txt, defined $x ? ($x >= 5 && $lost_ok) : undef);
        }
    }
    {
        my $what = 'module instructions per logged-in GET / (callgrind, minus the static file\'s): <= 60 k';
        if ($cg && $cg->{same_invocation} && $cg->{ir}{home} && $cg->{ir}{static}) {
            my $m = $cg->{ir}{home} - $cg->{ir}{static};
            my $h = $cg->{ir}{home_host} ? $cg->{ir}{home_host} - $cg->{ir}{static} : undef;
            $goal->("$what, lock Cluster (default)", sprintf('%.0f (%.0f - %.0f; callgrind step of this make bench, %s)', $m, $cg->{ir}{home}, $cg->{ir}{static}, $cg->{time}), $m <= 60000);
            $goal->("$what, lock Host", sprintf('%.0f (%.0f - %.0f)', $h, $cg->{ir}{home_host}, $cg->{ir}{static}), $h <= 60000) if defined $h;
        }
        else {
            my $txt = 'no callgrind step in this invocation';
            $txt .= sprintf(' (latest, %s: %.0f)', $cg->{time}, $cg->{ir}{home} - $cg->{ir}{static}) if $cg && $cg->{ir}{home} && $cg->{ir}{static};
            $goal->($what, $txt, undef);
        }
    }
    if (@SCALING > 1 && $scaling->{$SCALING[0]} && $scaling->{$SCALING[-1]}) {
        my $x = $scaling->{$SCALING[-1]}{rps} / $scaling->{$SCALING[0]}{rps};
        my $what = "$SCALING[-1] stored sessions: >= 90 % of the $SCALING[0] throughput" . ($SCALING[-1] < 1000000 ? ' (the goal is for 1 M)' : '');
        $goal->($what, sprintf('%.1f %% (%.0f / %.0f req/s)', 100 * $x, $scaling->{$SCALING[-1]}{rps}, $scaling->{$SCALING[0]}{rps}), $x >= 0.9);
    }
    if ($rss) {
        my $what = "RSS per child after $rss->{goal} requests: within 2 MB of its size after the first $rss->{first}";
        my (@parts, $all, $bad);
        $all = 1;
        for my $c (@{ $rss->{children} }) {
            if (!defined $c->{rss_first} || !defined $c->{rss_end}) { push @parts, "pid $c->{pid} replaced"; $all = 0; $bad = 1; next; }
            my $g = $c->{rss_end} - $c->{rss_first};
            push @parts, sprintf('pid %d %+.1f MB', $c->{pid}, $g / 1024);
            $all &&= $g <= 2048;
            $bad ||= $g > 2048;
        }
        my $txt = join('; ', @parts) . ($rss->{reached} ? '' : sprintf('; only %d of %d requests within %d s', $rss->{requests}, $rss->{goal}, $rss->{limit}));
        $goal->($what, $txt, $bad ? 0 : $rss->{reached} ? $all : undef);
    }
    return $o;
}

# ------------------------------------------------------------ callgrind
# Instructions per request, per scenario, in httpd -X (one process, all its
# threads) under callgrind. callgrind_control cannot reach the process once
# httpd has switched to its User, so the phases are delimited from inside:
# `--dump-before=ap_send_error_response` writes a dump (and zeroes the
# counters) whenever httpd builds one of its own error pages, and a GET of a
# missing static file is the one request that does (the module renders its
# own error pages and returns OK). Per
# scenario: warm up, mark, a fixed batch over one keep-alive connection, mark.
my %CG_N = (static => 500, guest => 500, home => 500, profile => 500, login => 300, cart => 500,
            home_host => 500);
# home_host: logged-in GET / on a virtual host of the same httpd with
# SessionDemoLock Host (the others run with the module's default, Cluster).
my @CG_SCEN = qw(static guest home profile login cart home_host);

sub do_callgrind {
    system('command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null') == 0
        or die "valgrind is not installed (make bench-deps)\n";
    -f $MODULE or die "$MODULE is missing: run make first\n";
    fresh_rundir();
    make_path("$HTTPD_DIR/htdocs/static", "$HTTPD_DIR/extra");
    chmod 0755, $HTTPD_DIR, "$HTTPD_DIR/htdocs", "$HTTPD_DIR/htdocs/static";
    # httpd -X under valgrind: started as nobody when we are root, because
    # callgrind opens its output file before httpd would switch users.
    my @run_as;
    if ($> == 0) {
        my ($uid, $gid) = (getpwnam('nobody'))[2, 3];
        # httpd reopens its stdout and stderr (the logs) as /dev/stdout and /dev/stderr.
        spew("$HTTPD_DIR/$_", '') for qw(error.log access.log);
        chown $uid, $gid, $HTTPD_DIR, "$HTTPD_DIR/extra", "$HTTPD_DIR/error.log", "$HTTPD_DIR/access.log", $OUTDIR;
        @run_as = qw(setpriv --reuid=nobody --regid=nogroup --clear-groups);
    }
    $SECRET = 'callgrind-bench-secret-0123456789abcdefghijklmnopqrstuvwxyz';
    $PRELOAD_PLAIN = 0;
    start_memcached();
    preload('v', 0, 300);
    preload('c', 0, 300);
    httpd_env(4);
    my $host_port = sh('sd_free_port');
    spew("$HTTPD_DIR/extra/host-lock.conf", "Listen 127.0.0.1:$host_port\n"
         . "<VirtualHost 127.0.0.1:$host_port>\n    SessionDemoRealm bench\n    SessionDemoLock Host\n</VirtualHost>\n");
    local $ENV{SD_HTTPD} = join ' ', @run_as, 'valgrind', '--tool=callgrind', '--vgdb=no', '--dump-instr=no',
        '--dump-before=ap_send_error_response', "--callgrind-out-file=$OUTDIR/callgrind.out", $APACHE;
    local $ENV{SD_HTTPD_WAIT} = 120;
    sh("sd_httpd_start bench '$BENCH/overlay.conf' -X -DSD_NO_ACCESS_LOG");
    $HTTPD_PORT = sh('sd_httpd_port bench');
    $HTTPD_PID = sh('sd_pid httpd-bench');
    my $home = http($HTTPD_PORT, 'GET', '/', cookie => cookie_for(sid('v', 299)));
    die "logged-in GET / did not work under callgrind ($home->{status})\n" unless $home->{body} =~ /Logged In/;
    spew("$HTTPD_DIR/htdocs/static/home.html", $home->{body});

    my %cookie = (view => [map { cookie_for(sid('v', $_)) } 0 .. 298], cart => [map { cookie_for(sid('c', $_)) } 0 .. 299]);
    my %req = (
        static  => sub { ('GET', '/static/home.html') },
        guest   => sub { ('GET', '/') },
        home    => sub { ('GET', '/', cookie => $cookie{view}[$_[0] % 299]) },
        profile => sub { ('GET', '/profile', cookie => $cookie{view}[$_[0] % 299]) },
        login   => sub { ('POST', '/login', body => "username=u$_[0]&password=pw") },
        cart    => sub { ('POST', '/add-to-cart', body => "item=widget-$_[0]", cookie => $cookie{cart}[$_[0] % 300]) },
    );
    $req{home_host} = $req{home};
    my %sock;
    for my $port ($HTTPD_PORT, $host_port) {
        $sock{$port} = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp')
            or die "connect to $port: $!";
    }
    my $mark = sub { my $r = http($HTTPD_PORT, 'GET', '/static/no-such-file', sock => $sock{$HTTPD_PORT});
                     die "marker request gave $r->{status}, not 404\n" unless $r->{status} == 404; };
    for my $name (@CG_SCEN) {
        my $port = $name eq 'home_host' ? $host_port : $HTTPD_PORT;
        for my $i (1 .. 20) { http($port, $req{$name}->(1000 + $i), sock => $sock{$port}); }   # warm-up
        $mark->();
        for my $i (1 .. $CG_N{$name}) {
            my $r = http($port, $req{$name}->($i), sock => $sock{$port});
            die "callgrind $name: status $r->{status}\n" if $r->{status} >= 400;
        }
        $mark->();
    }
    close $_ for values %sock;
    env_sh('sd_env_cleanup');
    # Dumps: 1 = start-up + first warm-up, then (batch, warm-up) pairs.
    my %part;
    for my $f (glob("$OUTDIR/callgrind.out.*")) { $part{$1} = $f if $f =~ /\.(\d+)$/; }
    my %ir;
    for my $k (0 .. $#CG_SCEN) {
        my $name = $CG_SCEN[$k];
        my $dump = $part{2 * $k + 2} // die "callgrind dump for $name is missing (have: @{[sort { $a <=> $b } keys %part]})\n";
        my ($tot) = map { /^(?:summary|totals):\s*(\d+)/ ? $1 : () } slurp($dump);
        die "no totals in $dump\n" unless $tot;
        rename $dump, "$OUTDIR/callgrind.$name.out";
        $ir{$name} = $tot / $CG_N{$name};
        printf "  callgrind %-8s %10.0f instructions/request\n", $name, $ir{$name};
    }
    unlink glob("$OUTDIR/callgrind.out*");   # start-up and warm-up parts
    # For `bench.pl run` of the same `make bench` (BENCH_INVOCATION, set by
    # mk/bench.mk), which reads the latest of these into its goals.
    spew("$OUTDIR/callgrind.json", JSON::PP->new->canonical->pretty->encode({
        time => strftime('%Y-%m-%d %H:%M:%S %Z', localtime), invocation => $ENV{BENCH_INVOCATION} // '',
        ir => { map { $_ => int($ir{$_} + 0.5) } keys %ir }, requests => \%CG_N,
        lock => 'module defaults (SessionDemoLock Cluster); home_host: SessionDemoLock Host' }));

    my $base_file = "$BENCH/callgrind-baseline.txt";
    my $status = 0;
    if ($OPT{'--update'} || !-e $base_file) {
        my $rev = `git -C '$TOP' log -1 --format=%h -- src include mod_sessiondemo.c templates 2>/dev/null` // '';
        chomp $rev;
        my $t = "# instructions per request (callgrind, httpd -X, bench/bench.pl callgrind); updated "
              . strftime('%Y-%m-%d', localtime) . ($rev ? ", module sources at $rev" : '') . ", module defaults (SessionDemoLock Cluster; home_host: Host)\n# make bench-callgrind fails when a scenario exceeds this by more than 10 %\n";
        $t .= sprintf("%-8s %d\n", $_, $ir{$_}) for @CG_SCEN;
        spew($base_file, $t);
        print "callgrind: baseline written to bench/callgrind-baseline.txt\n";
    }
    else {
        my %base = map { /^(\w+)\s+(\d+)/ ? ($1 => $2) : () } slurp($base_file);
        print "\n| scenario | instructions/request | baseline | change |\n|---|---:|---:|---:|\n";
        for my $name (@CG_SCEN) {
            my $b = $base{$name};
            my $chg = $b ? 100 * ($ir{$name} - $b) / $b : 0;
            my $flag = $b && $chg > 10 ? ' **REGRESSION**' : '';
            $status = 1 if $flag;
            printf "| %s | %.0f | %s | %+.1f %%%s |\n", $name, $ir{$name}, $b // 'none', $chg, $flag;
        }
        print $status ? "\ncallgrind: instruction count regression (> 10 % over bench/callgrind-baseline.txt)\n"
                      : "\ncallgrind: no scenario more than 10 % over the baseline\n";
    }
    if ($OPT{'--profile'}) {
        for my $name (qw(home)) {
            my $prof = '';
            for my $kind (['inclusive', 'yes', 35], ['self (exclusive)', 'no', 20]) {
                my @lines = `callgrind_annotate --inclusive=$kind->[1] --threshold=100 '$OUTDIR/callgrind.$name.out' 2>/dev/null`;
                my ($total, %seen, @rows);
                for (@lines) {
                    $total = $1 =~ tr/,//dr if /^\s*([\d,]+)\s.*PROGRAM TOTALS/;
                    next unless /^\s*([\d,]+)\s+\(\s*([\d.]+)%\)\s+(\S+?)(?:\s+\[(\S+)\])?\s*$/;
                    my ($ir, $pct, $loc, $lib) = ($1 =~ tr/,//dr, $2, $3, $4 // '');
                    my ($fn) = $loc =~ /:([^:]+)$/;
                    $fn //= $loc;
                    $lib =~ s{.*/}{};
                    $fn .= " ($lib)" if $fn =~ /^0x/;
                    next if $seen{$fn}++;
                    next if $kind->[1] eq 'no' && $pct >= 99.9;   # annotate's thread-root artefact
                    push @rows, sprintf("| %s | %.0f | %s %% | %s |\n", $fn, $ir / $CG_N{$name}, $pct, $lib || ($loc =~ s/:[^:]+$//r));
                    last if @rows >= $kind->[2];
                }
                $prof .= "\n#### $kind->[0], logged-in GET / (per request; $CG_N{$name} requests)\n\n"
                       . "| function | Ir/request | share | object |\n|---|---:|---:|---|\n" . join('', @rows);
            }
            spew("$OUTDIR/profile-$name.md", $prof);
            print $prof;
        }
    }
    print "callgrind: dumps in bench/out/$STAMP-callgrind/\n";
    exit $status;
}

if ($MODE eq 'run') { do_run(); }
elsif ($MODE eq 'callgrind') { do_callgrind(); }
else { die "usage: bench/bench.pl run [--quick] | callgrind [--update] [--profile]\n"; }
