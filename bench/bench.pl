#!/usr/bin/perl
# The `make bench` harness (see bench/README.md).
#
#   bench/bench.pl run [--quick]      wrk scenarios, baselines, scaling -> table
#   bench/bench.pl callgrind [--update] [--profile]
#                                     instructions per request under callgrind,
#                                     compared with bench/callgrind-baseline.txt
#
# memcached, httpd (conf/httpd-run.conf with bench/overlay.conf) and the
# Express peer (tests/interop/app.js, the suite's faithful port of the
# tutorial app) run on loopback through tests/lib/env.sh, each the leader of
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
use SDEnv qw(env_sh mc_socket mc_stats sign_id);

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
my $LOCK_DIRECTIVE = $ENV{BENCH_LOCK_DIRECTIVE} // 'SessionDemoLock';   # On|Off flag, if the build has it
my $HAS_LOCK;
my $ONLY = $ENV{BENCH_SCENARIOS};   # e.g. "home profile"; "scaling" = only the scaling runs
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

sub iso { my ($t) = @_; return strftime('%Y-%m-%dT%H:%M:%S', gmtime(int $t)) . sprintf('.%03dZ', ($t - int $t) * 1000); }

# Writes sessions [from, to) of pool $tag straight into memcached, pipelined
# with noreply, in the module's (= express-session's) stored format.
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
        $buf .= 'set sess:' . sid($tag, $i) . ' 2 86400 ' . length($val) . " noreply\r\n$val\r\n";
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
            while ($raw !~ /^([0-9a-fA-F]+)[^\r\n]*\r\n/) { $buf = ''; $read->() or die "short chunk\n"; $raw .= $buf; }
            my $n = hex $1; my $hl = length($&);
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
    for (@{ $res->{h}{'set-cookie'} // [] }) { return $1 if /^(connect\.sid=[^;]+)/; }
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
    my $out = env_sh("sd_httpd_configtest bench '$BENCH/overlay.conf'") // '';
    unlink "$HTTPD_DIR/extra/variant.conf";
    my ($first) = grep { /\S/ && !/Syntax OK/ } split /\n/, $out;
    return ($out =~ /Syntax OK/, $first // '');
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

# ------------------------------------------------------------ CPU sampling
# utime+stime (seconds) of every live process in process group $pgid; in
# list context (utime, stime).
sub group_cpu {
    my ($pgid) = @_;
    return wantarray ? (0, 0) : 0 unless $pgid;
    my ($u, $sy) = (0, 0);
    opendir(my $d, '/proc') or return 0;
    for my $p (grep { /^\d+$/ } readdir $d) {
        my $st = slurp("/proc/$p/stat") // next;
        $st =~ s/^.*\) //s;                 # fields from 3 on
        my @f = split ' ', $st;
        next unless $f[2] == $pgid;         # field 5: pgrp
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
    my (%o) = @_;   # target, scenario, conns, port, method, path, cookies, body, seconds
    my $secs = $o{seconds} // $SECONDS;
    my $out = "$OUTDIR/wrk-" . scalar(@RESULTS) . ".json";
    my $server_pg = $o{target} =~ /^express/ ? $EXPRESS_PID : $HTTPD_PID;
    my $mc0 = mc_stats();
    my ($srvu0, $srvs0) = group_cpu($server_pg);
    my ($srv0, $mcc0, $wrk0, $t0) = ($srvu0 + $srvs0, scalar group_cpu($MC_PID), children_cpu(), time);
    my $all0 = machine_cpu();
    my $pid = fork() // die "fork: $!";
    if ($pid == 0) {
        $ENV{BENCH_METHOD} = $o{method} // 'GET';
        $ENV{BENCH_PATH} = $o{path};
        $ENV{BENCH_COOKIES} = $o{cookies} // '';
        $ENV{BENCH_BODY} = $o{body} // '';
        $ENV{BENCH_THREADS} = $WRK_THREADS;
        $ENV{BENCH_OUT} = $out;
        open(STDOUT, '>', "$out.log"); open(STDERR, '>&', \*STDOUT);
        exec('wrk', '-t', $WRK_THREADS, '-c', $o{conns}, '-d', "${secs}s", '--timeout', '10s',
             '-s', "$BENCH/lua/scenario.lua", "http://127.0.0.1:$o{port}$o{path}") or die "exec wrk: $!";
    }
    waitpid($pid, 0);
    my $rc = $? >> 8;
    my ($srvu1, $srvs1) = group_cpu($server_pg);
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
        rps => $j->{requests} / ($j->{duration_us} / 1e6),
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
    delete $r{cookies};
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
    ['guest',   'GET',  '/',                 undef,   undef,                  ['module', 'express']],
    ['home',    'GET',  '/',                 'view',  undef,                  ['module', 'express']],
    ['profile', 'GET',  '/profile',          'view',  undef,                  ['module', 'express']],
    ['login',   'POST', '/login',            undef,   'username=u%N&password=pw', ['module', 'express']],
    ['cart',    'POST', '/add-to-cart',      'cart',  'item=widget-%N',       ['module', 'express']],
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
    };
}

sub do_run {
    for my $tool (qw(wrk memcached node npm)) {
        next if $tool =~ /node|npm/ && !$WITH_EXPRESS;
        system("command -v $tool >/dev/null") == 0 or die "$tool is not installed (make bench-deps)\n";
    }
    -f $MODULE or die "$MODULE is missing: run make first\n";
    fresh_rundir();
    make_path("$HTTPD_DIR/htdocs/static", "$HTTPD_DIR/extra");
    chmod 0755, $HTTPD_DIR, "$HTTPD_DIR/htdocs", "$HTTPD_DIR/htdocs/static";
    $SECRET = encode_base64(join('', map { chr rand 256 } 1 .. 36), '');
    sh("sd_npm_ci '$EXPRESS_DIR'") if $WITH_EXPRESS;

    my $facts = machine_facts();
    print "bench: $facts->{cpu}, load before: $facts->{loadavg}\n";
    print "bench: ${SECONDS}s per run, connections @CONNS, wrk -t$WRK_THREADS, httpd 2x$SD_THREADS threads, ",
          "express workers $EXPRESS_WORKERS, memcached $MC_THREADS threads, $MC_MEM MB\n";

    start_memcached();
    $facts->{memcached} = 'memcached ' . ((SDEnv::mc_command('version') // '?') =~ s/^VERSION //r);
    preload('v', 0, $VIEW_POOL);
    write_cookies("$RUNDIR/cookies-view.txt", 'v', 0 .. $VIEW_POOL - 1);
    ($HAS_LOCK) = directive_ok("$LOCK_DIRECTIVE On");
    spew("$HTTPD_DIR/extra/lock.conf", "$LOCK_DIRECTIVE On\n") if $HAS_LOCK;
    print "bench: session locking: ", ($HAS_LOCK ? "$LOCK_DIRECTIVE On for every row but the 'lock off' ones\n" : "not in this build\n");
    start_httpd();
    start_express() if $WITH_EXPRESS;

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
    # Smoke-check every route the scenarios use, on both servers.
    for my $t (['module', $HTTPD_PORT], $WITH_EXPRESS ? ['express', $EXPRESS_PORT] : ()) {
        my $l = http($t->[1], 'POST', '/login', body => 'username=smoke&password=pw');
        die "$t->[0]: POST /login gave $l->{status}\n" unless $l->{status} == 302 && cookie_from($l);
        my $c = http($t->[1], 'POST', '/add-to-cart', body => 'item=x', cookie => cookie_from($l));
        die "$t->[0]: POST /add-to-cart gave $c->{status}\n" unless $c->{status} == 200 && $c->{body} =~ /"success":\s*true/;
        my $p = http($t->[1], 'GET', '/profile', cookie => cookie_from($l));
        die "$t->[0]: GET /profile gave $p->{status}\n" unless $p->{status} == 200;
    }
    printf "bench: logged-in home page %d bytes (module)%s; static copy served by the same httpd\n",
        $size{module}, $WITH_EXPRESS ? ", $size{express} bytes (express)" : '';

    my %port = (static => $HTTPD_PORT, module => $HTTPD_PORT, express => $EXPRESS_PORT);
    my $SCALING_ONLY = ($ONLY // '') eq 'scaling';
    for my $conns ($SCALING_ONLY ? () : @CONNS) {
        for my $sc (@SCENARIOS) {
            my ($name, $method, $path, $pool, $body, $targets) = @$sc;
            next if $ONLY && $name ne 'static' && " $ONLY " !~ / \Q$name\E /;
            for my $target (@$targets) {
                next if $target eq 'express' && !$WITH_EXPRESS;
                my $cookies;
                if (($pool // '') eq 'view') { $cookies = "$RUNDIR/cookies-view.txt"; }
                elsif (($pool // '') eq 'cart') {
                    preload('c', 0, $CART_POOL);   # same starting carts for every run
                    write_cookies($cookies = "$RUNDIR/cookies-cart.txt", 'c', 0 .. $CART_POOL - 1);
                }
                run_wrk(target => $target, scenario => $name, conns => $conns, port => $port{$target},
                        method => $method, path => $path, cookies => $cookies, body => $body);
            }
        }
    }

    # The tutorial's app as written runs one node process: logged-in GET / with
    # that too, for reference (the goals use the EXPRESS_WORKERS figures).
    if ($WITH_EXPRESS && !$SCALING_ONLY && $EXPRESS_WORKERS > 1 && ($ENV{BENCH_EXPRESS_SINGLE} // 1) && (!$ONLY || " $ONLY " =~ / home /)) {
        stop_express();
        start_express(1);
        for my $conns (@CONNS) {
            run_wrk(target => 'express1', scenario => 'home', conns => $conns, port => $EXPRESS_PORT,
                    method => 'GET', path => '/', cookies => "$RUNDIR/cookies-view.txt");
        }
        stop_express();
    }

    # Session locking: every other row runs with it on (explicitly; it is the
    # module's default); here the logged-in views run again with it off.
    my %locking;
    if ($HAS_LOCK && !$SCALING_ONLY && (!$ONLY || " $ONLY " =~ / home /)) {
        stop_httpd();
        spew("$HTTPD_DIR/extra/lock.conf", "$LOCK_DIRECTIVE Off\n");
        start_httpd();
        for my $conns (@CONNS) {
            for my $name (qw(home profile)) {
                my $r = run_wrk(target => 'nolock', scenario => $name, conns => $conns, port => $HTTPD_PORT,
                                method => 'GET', path => $name eq 'home' ? '/' : '/profile',
                                cookies => "$RUNDIR/cookies-view.txt");
                $locking{$name} //= $r;
            }
        }
        stop_httpd();
        spew("$HTTPD_DIR/extra/lock.conf", "$LOCK_DIRECTIVE On\n");
        start_httpd();
    }
    elsif (!$HAS_LOCK) {
        $locking{unavailable} = "this build does not know $LOCK_DIRECTIVE";
    }

    # Scaling: the same logged-in GET / with more and more stored sessions,
    # in a fresh memcached (the runs above left ~0.5 M login sessions in the
    # old one, and memcached never shrinks its hash table).
    stop_express();
    stop_httpd();
    stop_memcached();
    start_memcached();
    preload('v', 0, $VIEW_POOL);
    start_httpd();
    my %scaling;
    my $loaded = $VIEW_POOL;
    my $sc_conns = $CONNS[-1];
    for my $n (@SCALING) {
        if ($n > $loaded) { preload('v', $loaded, $n); $loaded = $n; }
        my @idx = $n <= 2000 ? (0 .. $n - 1) : map { int rand $n } 1 .. 2000;
        write_cookies("$RUNDIR/cookies-scale.txt", 'v', @idx);
        my $st = mc_stats();
        printf "  memcached: %d items, %.0f MB\n", $st->{curr_items}, $st->{bytes} / 1048576;
        $scaling{$n} = run_wrk(target => 'module', scenario => "scale-$n", conns => $sc_conns, port => $HTTPD_PORT,
                               method => 'GET', path => '/', cookies => "$RUNDIR/cookies-scale.txt");
        $scaling{$n}{items} = $st->{curr_items};
    }

    $facts->{loadavg_after} = scalar(slurp('/proc/loadavg')) =~ s/\s+$//r;
    env_sh('sd_env_cleanup');
    my $report = report($facts, \%size, \%locking, \%scaling);
    spew("$OUTDIR/report.md", $report);
    spew("$OUTDIR/results.json", JSON::PP->new->canonical->pretty->encode(
        { facts => $facts, sizes => \%size, runs => \@RESULTS }));
    unlink "$BENCH/out/latest";
    symlink($STAMP, "$BENCH/out/latest");
    print "\n$report\nbench: report in bench/out/$STAMP/report.md\n";
}

sub find_run {
    my ($target, $scen, $conns) = @_;
    my ($r) = grep { $_->{target} eq $target && $_->{scenario} eq $scen && $_->{conns} == $conns } @RESULTS;
    return $r;
}

sub report {
    my ($f, $size, $locking, $scaling) = @_;
    my $o = '';
    $o .= "## Run of $f->{date}" . ($QUICK ? ' (bench-quick)' : '') . "\n\n";
    $o .= "- machine: $f->{cpu}, $f->{mem_gb} GB RAM, Linux $f->{kernel}\n";
    $o .= "- load average before: $f->{loadavg}; after: $f->{loadavg_after}\n";
    $o .= "- $f->{httpd}; $f->{memcached}; wrk $f->{wrk}; node $f->{node}; $f->{express}\n";
    $o .= "- ${SECONDS}s per run; wrk -t$WRK_THREADS; httpd event MPM 2 x $SD_THREADS threads, sendfile on, mmap off; "
        . "Express: node:cluster with $EXPRESS_WORKERS worker(s) (rows 'Express (1 proc)': the tutorial's single process); memcached $MC_THREADS threads, $MC_MEM MB\n";
    $o .= "- mod_sessiondemo rows: " . ($HAS_LOCK ? "$LOCK_DIRECTIVE On (the default) except the 'lock off' rows\n" : "this build has no session locking\n");
    $o .= "- logged-in home page: $size->{module} bytes (module)" . (defined $size->{express} ? ", $size->{express} bytes (Express)" : '')
        . "; the static baseline is the module's page, byte for byte\n\n";
    $o .= "| scenario | conns | server | req/s | p50 ms | p99 ms | mc cmds/req (get/set/del/touch) | CPU % server (of it kernel) / memcached / wrk | server+mc CPU µs/req | other processes' CPU % | new mc conns | errors |\n";
    $o .= "|---|---:|---|---:|---:|---:|---|---|---:|---:|---:|---:|\n";
    for my $r (@RESULTS) {
        next if $r->{scenario} =~ /^scale-/;
        my $m = $r->{mc};
        $o .= sprintf("| %s | %d | %s | %.0f | %.2f | %.2f | %.2f (%.2f/%.2f/%.2f/%.2f) | %.0f (%.0f) / %.0f / %.0f | %.0f | %.0f | %d | %d |\n",
            $SCEN_LABEL{$r->{scenario}} // $r->{scenario}, $r->{conns},
            { static => 'httpd static', module => 'mod_sessiondemo', nolock => 'mod_sessiondemo, lock off',
              express => "Express ($EXPRESS_WORKERS proc)",
              express1 => 'Express (1 proc)' }->{$r->{target}},
            $r->{rps}, $r->{p50_us} / 1000, $r->{p99_us} / 1000,
            $m->{total}, $m->{cmd_get}, $m->{cmd_set}, $m->{del}, $m->{cmd_touch},
            $r->{cpu_server}, $r->{cpu_server_sys}, $r->{cpu_mc}, $r->{cpu_wrk}, $r->{us_cpu_per_req}, $r->{cpu_others},
            $r->{mc_new_conns} // 0, $r->{errors});
    }
    if (%$scaling) {
        $o .= "\n### Scaling: logged-in GET / (mod_sessiondemo, $CONNS[-1] connections) vs stored sessions\n\n";
        $o .= "| sessions loaded | memcached items | req/s | p50 ms | p99 ms | get misses/req | httpd+mc CPU µs/req | memcached CPU µs/req | other processes' CPU % | req/s vs first |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
        my $base = $scaling->{$SCALING[0]}{rps};
        for my $n (@SCALING) {
            my $r = $scaling->{$n};
            $o .= sprintf("| %d | %d | %.0f | %.2f | %.2f | %.3f | %.0f | %.1f | %.0f | %.1f %% |\n", $n, $r->{items}, $r->{rps},
                $r->{p50_us} / 1000, $r->{p99_us} / 1000, $r->{mc}{get_misses}, $r->{us_cpu_per_req},
                1e4 * $r->{cpu_mc} / $r->{rps}, $r->{cpu_others}, 100 * $r->{rps} / $base);
        }
    }
    # The goals the benchmark was written for, judged on this run's own ratios.
    $o .= "\n### Goals (ratios from this run)\n\n| goal | measured | verdict |\n|---|---|---|\n";
    my $goal = sub { my ($what, $val, $ok) = @_; $o .= "| $what | $val | " . (!defined $ok ? 'n/a' : $ok ? 'met' : '**not met**') . " |\n"; };
    for my $c (@CONNS) {
        my ($st, $home, $guest) = map { find_run($_->[0], $_->[1], $c) } ['static', 'static'], ['module', 'home'], ['module', 'guest'];
        my $ehome = find_run('express', 'home', $c);
        if ($st && $home) { my $x = $home->{rps} / $st->{rps}; $goal->("logged-in GET / >= 60 % of static (c=$c)", sprintf('%.0f %%', 100 * $x), $x >= 0.6); }
        if ($ehome && $home) { my $x = $home->{rps} / $ehome->{rps}; $goal->("logged-in GET / >= 4x Express (c=$c)", sprintf('%.2fx', $x), $x >= 4); }
        if ($st && $guest) { my $x = $guest->{rps} / $st->{rps}; $goal->("guest GET / >= 90 % of static (c=$c)", sprintf('%.0f %%', 100 * $x), $x >= 0.9); }
        for my $s (qw(guest home profile login cart)) {
            my ($m, $e) = (find_run('module', $s, $c), find_run('express', $s, $c));
            next unless $m && $e;
            my $x = $m->{p99_us} / ($e->{p99_us} || 1);
            $goal->("p99 <= 1/5 of Express: $SCEN_LABEL{$s} (c=$c)", sprintf('%.2f / %.2f ms = %.2f', $m->{p99_us} / 1000, $e->{p99_us} / 1000, $x), $x <= 0.2);
        }
    }
    my $home = find_run('module', 'home', $CONNS[0]);
    my $prof = find_run('module', 'profile', $CONNS[0]);
    my ($on_txt, $off_txt) = $HAS_LOCK ? ('locking on', 'locking off') : ('no locking in this build', 'no locking in this build');
    if ($home && $prof) {
        $goal->("memcached round trips per logged-in view, $on_txt (GET / ; GET /profile)",
                sprintf('%.2f ; %.2f', $home->{mc}{total}, $prof->{mc}{total}),
                $HAS_LOCK ? $home->{mc}{total} <= 4.05 && $prof->{mc}{total} <= 4.05
                          : $home->{mc}{total} <= 2.05 && $prof->{mc}{total} <= 2.05);
    }
    if ($locking->{home}) {
        $goal->("memcached round trips per logged-in view, $off_txt (GET / ; GET /profile)",
                sprintf('%.2f ; %.2f', $locking->{home}{mc}{total}, $locking->{profile}{mc}{total}),
                $locking->{home}{mc}{total} <= 2.05 && $locking->{profile}{mc}{total} <= 2.05);
    }
    if (@SCALING > 1 && $scaling->{$SCALING[0]}) {
        my $x = $scaling->{$SCALING[-1]}{rps} / $scaling->{$SCALING[0]}{rps};
        $goal->("throughput at $SCALING[-1] sessions within 10 % of $SCALING[0]", sprintf('%.1f %%', 100 * $x), $x >= 0.9);
    }
    $o .= "\nmc cmds/req: memcached `stats` deltas (cmd_get, cmd_set incl. add, delete hits+misses, cmd_touch, incr/decr) "
        . "over the run divided by the requests wrk completed. CPU %: utime+stime from /proc over the run's wall time, "
        . "100 % = one core (this machine has $NPROC); other processes' CPU % = the machine's busy time from /proc/stat minus ours (load from other work). errors: wrk socket errors + HTTP status >= 400.\n";
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
my %CG_N = (static => 500, guest => 500, home => 500, profile => 500, login => 300, cart => 500);
my @CG_SCEN = qw(static guest home profile login cart);

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
    start_memcached();
    preload('v', 0, 300);
    preload('c', 0, 300);
    httpd_env(4);
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
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $HTTPD_PORT, Proto => 'tcp') or die "connect: $!";
    my $mark = sub { my $r = http($HTTPD_PORT, 'GET', '/static/no-such-file', sock => $sock);
                     die "marker request gave $r->{status}, not 404\n" unless $r->{status} == 404; };
    for my $name (@CG_SCEN) {
        for my $i (1 .. 20) { http($HTTPD_PORT, $req{$name}->(1000 + $i), sock => $sock); }   # warm-up
        $mark->();
        for my $i (1 .. $CG_N{$name}) {
            my $r = http($HTTPD_PORT, $req{$name}->($i), sock => $sock);
            die "callgrind $name: status $r->{status}\n" if $r->{status} >= 400;
        }
        $mark->();
    }
    close $sock;
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

    my $base_file = "$BENCH/callgrind-baseline.txt";
    my $status = 0;
    if ($OPT{'--update'} || !-e $base_file) {
        my $rev = `git -C '$TOP' log -1 --format=%h -- src include mod_sessiondemo.c templates 2>/dev/null` // '';
        chomp $rev;
        my $t = "# instructions per request (callgrind, httpd -X, bench/bench.pl callgrind); updated "
              . strftime('%Y-%m-%d', localtime) . ($rev ? ", module sources at $rev" : '') . ", module defaults (SessionDemoLock On)\n# make bench-callgrind fails when a scenario exceeds this by more than 10 %\n";
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
