# SPDX-License-Identifier: Apache-2.0
# What a login is worth (issue 20, defects 1, 3 and 8):
# - a login made in demo mode is a guest on a server that checks passwords,
#   whatever the realm: a demo-mode httpd this test starts shares the realm
#   of sd_trust on purpose (two instances), and the same httpd restarted
#   with SessionDemoAuthProvider file does not take its own demo logins;
# - the default realm has a port when ServerName has none;
# - one username rule: an account "alice " cannot log in, so it never
#   reaches a backend as alice; other names a header cannot carry are
#   refused the same way, before the provider is asked;
# - the time of a login answer tells no name from another: on a fresh
#   server, and with accounts of two hash costs; it is the admin's floor
#   (SessionDemoLoginMinTime), which a burst of slow checks does not raise.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use File::Temp qw(tempdir);
use HTTP::Cookies ();
use HTTP::Request::Common ();
use IO::Socket::INET ();
use JSON::PP ();
use LWP::UserAgent ();
use POSIX qw(strftime);
use SDTest qw(use_vhost login cookie_value session_id mc_get mc_set sign_id);
use Time::HiRes qw(time);

plan tests => 45;

my $vars = Apache::Test::vars();
my $top = $vars->{top_dir};
my $logs = $vars->{t_logs};
my $secret = 'apache-test only: 3c5a0f8e9d2b4e6f8a1c3e5d7f9b2d4e';
my @html = (Accept => 'text/html');
my @api = (Accept => 'application/json');

sub htpasswd {
    my ($file, @accounts) = @_;
    unlink $file;
    while (my ($user, $cost, $pw) = splice @accounts, 0, 3) {
        system('htpasswd', '-B', '-C', $cost, '-b', (-e $file ? () : '-c'), $file, $user, $pw) == 0
            or die "htpasswd failed for '$user'";
    }
    chmod 0644, $file;
}
htpasswd("$logs/trust.htpasswd", 'alice', 5, 'real pw', 'alice ', 5, 'space pw', 'kim', 10, 'kim pw');
htpasswd("$logs/costs.htpasswd", 'quick', 5, 'q pw', 'slow', 10, 's pw', 'slower', 13, 'x pw');

sub error_log {
    my ($file) = @_;
    open my $fh, '<', $file // "$logs/error_log" or return '';
    local $/;
    return <$fh>;
}

# --- a demo-mode httpd of our own (ServerName without a port), on the
# suite's memcached with the suite's secret.
my $dir = tempdir(CLEANUP => 1);
chmod 0755, $dir;
my $port = do { my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0); $s->sockport };
my $ua = LWP::UserAgent->new(requests_redirectable => [], timeout => 30);
my $own = "http://127.0.0.1:$port";

sub own_httpd {
    my ($extra) = @_;
    my $m = '/usr/lib/apache2/modules';
    open my $fh, '>', "$dir/httpd.conf" or die "$dir/httpd.conf: $!";
    print $fh <<"CONF";
ServerRoot "$dir"
ServerName 127.0.0.1
PidFile "$dir/httpd.pid"
DefaultRuntimeDir "$dir"
ErrorLog "$dir/error_log"
LogLevel info
Listen 127.0.0.1:$port
User $vars->{user}
Group $vars->{group}
LoadModule mpm_event_module $m/mod_mpm_event.so
LoadModule authz_core_module $m/mod_authz_core.so
LoadModule authn_core_module $m/mod_authn_core.so
LoadModule authn_file_module $m/mod_authn_file.so
LoadModule authz_user_module $m/mod_authz_user.so
LoadModule alias_module $m/mod_alias.so
LoadModule sessiondemo_module "$top/.libs/mod_sessiondemo.so"
SessionDemoMemcache 127.0.0.1:$ENV{MEMCACHED_PORT}
SessionDemoSecret "$secret"
SessionDemoTemplateDir "$top/templates"
SessionDemoLoginMinTime 0
<Location "/">
    SetHandler sessiondemo
    Require all granted
</Location>
<Location "/sessiondemo-status">
    SetHandler sessiondemo-status
    Require all granted
</Location>
$extra
CONF
    close $fh;
    system($vars->{httpd}, '-f', "$dir/httpd.conf", '-k', 'start') == 0 or return 0;
    for (1 .. 100) {
        return 1 if IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port");
        select undef, undef, undef, 0.1;
    }
    return 0;
}
sub stop_own_httpd {
    open my $fh, '<', "$dir/httpd.pid" or return;
    chomp(my $pid = <$fh> // '');
    system($vars->{httpd}, '-f', "$dir/httpd.conf", '-k', 'stop');
    for (1 .. 100) { last unless $pid && kill 0, $pid; select undef, undef, undef, 0.1 }
}
END { stop_own_httpd() }

sub own_login {
    my ($cookie_name, $user, $pw) = @_;
    my $res = $ua->request(HTTP::Request::Common::POST("$own/login", [username => $user, password => $pw]));
    my $value = cookie_value($res, $cookie_name);
    return defined $value ? "$cookie_name=$value" : undef;
}

# --- the default realm has the listening port when ServerName has none
ok(own_httpd(''), 'a demo-mode httpd with "ServerName 127.0.0.1" (no port) starts');
my $status = JSON::PP->new->decode($ua->get("$own/sessiondemo-status?json")->content);
is($status->{config}{SessionDemoRealm}, "127.0.0.1:$port",
   'its default realm is ServerName plus the listening port');

# --- the issue's scenario: a demo login, then the same httpd with passwords
my $demo_cookie = own_login('connect.sid', 'alice', 'anything at all');
ok($demo_cookie, 'demo mode: alice logs in with any password');
my ($demo_id) = $demo_cookie =~ /s%3A([^.]+)\./;
like((SDTest::mc_get_session($demo_id))[1] // '', qr/"sessiondemo":\{"realm":"127\.0\.0\.1:$port",[^}]*"login":"demo"/,
     '... and the stored session says the login was a demo one');
stop_own_httpd();
my $gated = <<"GATE";
SessionDemoAuthProvider file
<Location "/">
    AuthUserFile "$logs/trust.htpasswd"
</Location>
Alias /alice-only/ "$vars->{documentroot}/gate/"
<Location "/alice-only/">
    SetHandler none
    AuthType sessiondemo
    Require user alice
</Location>
GATE
ok(own_httpd($gated), 'the same httpd restarted with SessionDemoAuthProvider file');
is($ua->get("$own/alice-only/page.html", Cookie => $demo_cookie, @api)->code, 401,
   '... the demo login does not open Require user alice');
like($ua->get("$own/", Cookie => $demo_cookie)->content, qr{Name:</strong> Guest</p>}, '... its home page shows a guest');
my $real_cookie = own_login('connect.sid', 'alice', 'real pw');
is($ua->get("$own/alice-only/page.html", Cookie => $real_cookie, @api)->code, 200,
   '... while her login with her password does');
like(error_log("$dir/error_log"), qr/SD00321: session logged in by demo mode/, '... the demo login is logged (SD00321)');
stop_own_httpd();

# --- two instances at once, one realm named on purpose by both
ok(own_httpd("SessionDemoRealm trust-shared\nSessionDemoCookieName trust.sid"),
   'a demo-mode instance in the realm of sd_trust (SessionDemoRealm trust-shared)');
$demo_cookie = own_login('trust.sid', 'alice', 'anything at all');
ok($demo_cookie, '... where anybody logs in as alice');

use_vhost('sd_trust');
my $jar = HTTP::Cookies->new;
Apache::TestRequest::user_agent(reset => 1, cookie_jar => $jar, requests_redirectable => 0);
my $res = login('alice', 'real pw');
is($res->header('Location'), '/', 'the real alice logs in on sd_trust, with her password');
my $alice = 'trust.sid=' . cookie_value($res);
Apache::TestRequest::user_agent(reset => 1, cookie_jar => undef, requests_redirectable => 0);
is(GET('/alice-only/page.html', Cookie => $alice, @api)->code, 200, '... and passes Require user alice');

is(GET('/alice-only/page.html', Cookie => $demo_cookie, @api)->code, 401,
   'the demo login does not pass Require user alice there');
$res = GET('/private/env.cgi', Cookie => $demo_cookie, @api);
is($res->code, 401, '... nor reaches the CGI');
unlike($res->content, qr/REMOTE_USER=alice/, '... which never sees REMOTE_USER=alice');
like(GET('/', Cookie => $demo_cookie)->content, qr{Name:</strong> Guest</p>}, '... the home page shows a guest');
$res = GET('/sessions.json', Cookie => $demo_cookie);
is($res->code, 401, "... /sessions.json does not list the real alice's devices");
$res = POST('/sessions/logout-others', content => '', Cookie => $demo_cookie);
is($res->header('Location'), '/login', '... logout-others from it is a guest\'s: sent to log in');
like(GET('/', Cookie => $alice)->content, qr{Name:</strong> alice</p>}, "... and the real alice's session lives on");
my $list = JSON::PP->new->decode(GET('/sessions.json', Cookie => $alice)->content);
is(scalar @{ $list->{sessions} }, 1, '... her list has her one session, not the demo one');
is($ua->get("$own/", Cookie => $demo_cookie)->code, 200, 'the demo instance still serves its session');
like($ua->get("$own/", Cookie => $demo_cookie)->content, qr{Name:</strong> alice</p>}, '... as its alice');
stop_own_httpd();

# --- one username rule: "alice " is not alice
my $log_from = -s "$logs/error_log";
Apache::TestRequest::user_agent(reset => 1, cookie_jar => undef, requests_redirectable => 0);
$res = login('alice ', 'space pw');
is($res->header('Location'), '/login?error=2', 'the account "alice " (trailing space) cannot log in: a failed login');
my $space = cookie_value($res, 'trust.sid');
ok(!defined $space, '... with no session');
$res = GET('/app/env.cgi', @api, defined $space ? (Cookie => "trust.sid=$space") : ());
is($res->code, 401, '... so nothing reaches the proxied backend');
unlike($res->content, qr/X_REMOTE_USER=alice/, '... as alice or anybody');
# A stored name the rule refuses (an older version, an Express peer, a
# hand edit): the gate takes it for a guest.
my $spaced_id = 'SpacedName0123456789abcdefghijkl';
my $later = strftime('%Y-%m-%dT%H:%M:%S.000Z', gmtime(time + 3600));
SDTest::mc_set_session($spaced_id, 2, 600,
       qq({"cookie":{"originalMaxAge":86400000,"expires":"$later","httpOnly":true,"path":"/"},)
       . qq("sessiondemo":{"realm":"trust-shared","gen":1,"login":"password"},)
       . qq("isLoggedIn":true,"username":"alice ","loginTime":"2026-01-01T00:00:00.000Z","visitCount":0}));
$res = GET('/app/env.cgi', @api, Cookie => 'trust.sid=' . sign_id($spaced_id, $secret));
is($res->code, 401, 'a stored session naming "alice " is a guest at the gate');
unlike($res->content, qr/X_REMOTE_USER=alice/, '... and never reaches the backend as alice');
my @bad = ("\xc2\xa0alice", "alice\xe3\x80\x80", "alice\t", "al\x01ice", "al\xc2\x85ice", "al\xffice",
           "al\xc0\xafice", "al\xed\xa0\x80ice", "al\xc2\xadice", "\xe2\x80\xaealice");
my @answers = map { login($_, 'real pw')->header('Location') // 'none' } @bad;
is_deeply(\@answers, [('/login?error=2') x @bad],
          'white space at an end (U+00A0, U+3000), tab, C0, C1, bad UTF-8, overlong, surrogate,'
          . ' soft hyphen, RLO: failed logins');
my $log = substr(error_log(), $log_from);
my $refused = () = $log =~ /SD00419: login refused for username/g;
like($log, qr/SD00605: [^\n]*username is refused \(white space at either end\)/, 'the gate logs the stored name (SD00605)');
is($refused, 1 + @bad, '... each logged (SD00419)');
unlike($log, qr/SD0041[67]: /, '... none of them reached the provider');

# --- login timing: a fresh server knows no user yet
my $server = Apache::Test::config()->server;
$server->stop;
ok($server->start, 'the suite\'s httpd started afresh');
use_vhost('sd_trust');
sub login_secs { my ($user) = @_; my $t0 = time; login($user, 'not the password'); return time - $t0 }
sub median { my @s = sort { $a <=> $b } @_; return $s[int(@s / 2)] }
my ($u1, $k1) = (login_secs('nobody-first'), login_secs('kim'));
ok($u1 >= 0.7 * $k1, sprintf('the first attempts of a fresh server: an unknown name takes as long as'
                             . ' a bcrypt cost-10 account (%.0f ms vs %.0f ms)', $u1 * 1000, $k1 * 1000));
my (@u, @k);
for (1 .. 3) { push @u, login_secs("nobody$_"); push @k, login_secs('kim') }
my ($u, $k) = (median(@u), median(@k));
ok($u >= 0.7 * $k && $k >= 0.7 * $u,
   sprintf('... and the next ones (medians %.0f ms vs %.0f ms)', $u * 1000, $k * 1000));
ok($u >= 0.35, '... no earlier than SessionDemoLoginMinTime (400 ms here)');

# --- accounts of two hash costs under one floor: an unknown name takes as
# long as the costlier, after many logins of the cheaper one.
use_vhost('sd_trust_costs');
login_secs('slow');
my (@unknown, @slow, @quick);
for my $round (1 .. 5) {
    login_secs('quick') for 1 .. 8;
    push @unknown, login_secs("nobody-costs$round");
    push @slow, login_secs('slow');
    push @quick, login_secs('quick');
}
my ($mu, $ms, $mq) = (median(@unknown), median(@slow), median(@quick));
ok($mu >= 0.7 * $ms, sprintf('an unknown name takes as long as the cost-10 account (%.0f ms vs %.0f ms)',
                             $mu * 1000, $ms * 1000));
ok($mq >= 0.7 * $ms, sprintf('... and so does the cost-5 one (%.0f ms): the time tells no cost',
                             $mq * 1000));
ok($mu <= 1.5 * $ms + 0.05, '... nor is an unknown name slower than both');

# --- after a graceful restart (logrotate does one daily), the new
# children's first answers take the floor's time too.
sub generation {
    use_vhost(undef);
    Apache::TestRequest::user_agent(reset => 1, keep_alive => 0, requests_redirectable => 0);
    my ($g) = (GET('/server-status?auto')->content // '') =~ /^ParentServerConfigGeneration: (\d+)$/m;
    return $g // -1;
}
my $gen = generation();
kill 'USR1', $server->pid;
my $deadline = time + 30;
Time::HiRes::sleep(0.2) while generation() <= $gen && time < $deadline;
ok(generation() > $gen, 'a graceful restart: new children serve');
use_vhost('sd_trust_costs');
Apache::TestRequest::user_agent(reset => 1, keep_alive => 0, requests_redirectable => 0);
my ($gu, $gk) = (login_secs('nobody-after-graceful'), login_secs('slow'));
ok($gu >= 0.7 * $gk, sprintf('... whose first attempts take as long for an unknown name as for the cost-10'
                             . ' account (%.0f ms vs %.0f ms)', $gu * 1000, $gk * 1000));

# --- a burst of slow checks (parallel cost-13 guesses, each slower than
# the floor on a loaded machine) does not make later logins wait longer,
# here or on another virtual host: the wait is the admin's floor.
use_vhost('sd_trust');
Apache::TestRequest::user_agent(reset => 1, keep_alive => 0, requests_redirectable => 0);
my @before = map { login_secs("nobody-before-burst$_") } 1 .. 3;
my $burst_from = -s "$logs/error_log";
my $costs_login = Apache::TestRequest::module2url('sd_trust_costs', { path => '/login' });
my @kids;
for (1 .. 6) {
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        my $bua = LWP::UserAgent->new(requests_redirectable => [], timeout => 60);
        $bua->request(HTTP::Request::Common::POST($costs_login, [username => 'slower', password => 'wrong']));
        POSIX::_exit(0);
    }
    push @kids, $pid;
}
waitpid $_, 0 for @kids;
use_vhost('sd_trust');
Apache::TestRequest::user_agent(reset => 1, keep_alive => 0, requests_redirectable => 0);
my @after = map { login_secs("nobody-after-burst$_") } 1 .. 3;
my ($mb, $ma) = (median(@before), median(@after));
ok($ma <= $mb + 0.25, sprintf('a burst of slow checks on sd_trust_costs does not raise the time of later'
                              . ' logins on sd_trust (medians %.0f ms before, %.0f ms after)',
                              $mb * 1000, $ma * 1000));
use_vhost('sd_trust_costs');
Apache::TestRequest::user_agent(reset => 1, keep_alive => 0, requests_redirectable => 0);
my $mc = median(map { login_secs("nobody-costs-after-burst$_") } 1 .. 3);
ok($mc <= 0.4 + 0.25, sprintf('... nor on sd_trust_costs itself (median %.0f ms, floor 400 ms)', $mc * 1000));
like(substr(error_log(), $burst_from), qr/SD00427: a password check took \d+ ms, longer than SessionDemoLoginMinTime 400 ms/,
     'a check slower than the floor tells the admin to raise it (SD00427)');
