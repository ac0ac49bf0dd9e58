# SPDX-License-Identifier: Apache-2.0
# Every session of a user, visible and revocable (issue 14, part 2): the
# list (/sessions, /sessions.json), ending all others or one, the bound,
# the admin's revoke, sessions of express-session indexed on their first
# save, a second port of the same realm, an end racing the ended session's
# own requests, and bad input (unknown or someone else's handle: 404).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use HTTP::Cookies ();
use HTTP::Request::Common ();
use JSON::PP ();
use LWP::UserAgent ();
use SDTest qw(mc_get mc_set mc_command session_id cookie_value sign_id lock_key);
use Time::HiRes qw(time);

plan tests => 109;

my $secret = 'apache-test only: 3c5a0f8e9d2b4e6f8a1c3e5d7f9b2d4e';
my %base;
for my $vhost ('sd_sessions', 'sd_sessions_peer', 'sd_sessions_nocase', 'sd_sessions_small') {
    (my $name = $vhost) =~ s/^//;   # a copy: module2url writes to its argument
    ($base{$vhost} = Apache::TestRequest::module2url($name, { path => '' })) =~ s{/+\z}{};
}
my $json = JSON::PP->new;

# Real passwords: in demo mode the list is off (anyone could be anyone).
my $vars = Apache::Test::vars();
my $htpasswd = "$vars->{t_logs}/sessions.htpasswd";
unlink $htpasswd;
for my $user (qw(alice bob carol erin frank gina)) {
    system('htpasswd', '-B', '-C', '4', '-b', (-e $htpasswd ? () : '-c'), $htpasswd, $user, 'pw') == 0
        or die "htpasswd failed";
}
chmod 0644, $htpasswd;

# A browser: its own cookie jar and user agent, on one port or the other
# (cookies are shared across ports, as browsers do).
sub device {
    my ($name, $vhost) = @_;
    my $ua = LWP::UserAgent->new(agent => $name, cookie_jar => HTTP::Cookies->new,
                                 requests_redirectable => [], timeout => 30);
    return { ua => $ua, base => $base{ $vhost // 'sd_sessions' } };
}
sub get { my ($d, $path, @h) = @_; $d->{ua}->get($d->{base} . $path, @h) }
sub post {
    my ($d, $path, $form, @h) = @_;
    return $d->{ua}->request(HTTP::Request::Common::POST($d->{base} . $path, $form // [], @h));
}
sub log_in {
    my ($d, $user, $cookie) = @_;
    my $res = post($d, '/login', [username => $user, password => 'pw']);
    $d->{id} = session_id(cookie_value($res, $cookie // 'sessions.sid'));
    return $res;
}
sub list {
    my ($d) = @_;
    my $res = get($d, '/sessions.json');
    return $res->code == 200 ? $json->decode($res->content)->{sessions} : $res->code;
}
sub user_of { my ($d) = @_; get($d, '/')->content =~ m{<strong>Name:</strong> ([^<]*)</p>} ? $1 : '' }
# The admin: authenticated (AuthType Basic on the status page, t/conf) and
# posting from the page itself (Origin), as an admin action must be.
sub admin_post {
    my ($url, $form, @h) = @_;
    my $req = HTTP::Request::Common::POST($url, $form, @h);
    $req->authorization_basic('alice', 'correct horse battery');
    (my $origin = $url) =~ s{^(https?://[^/]+).*}{$1};
    $req->header(Origin => $origin) unless $req->header('Origin');
    return LWP::UserAgent->new(timeout => 30)->request($req);
}
sub revoke {
    my ($user, @h) = @_;
    return admin_post("$base{sd_sessions}/sessiondemo-status", ['revoke-user' => $user], @h);
}

# --- the list ------------------------------------------------------------
my $a = device('DeviceA');
my $b = device('DeviceB');
my $bob = device('BobsPhone');
log_in($a, 'alice');
log_in($b, 'alice');
log_in($bob, 'bob');
ok($a->{id} && $b->{id} && $a->{id} ne $b->{id}, 'alice logged in on two devices');

my $sessions = list($a);
is(ref $sessions && scalar @$sessions, 2, "/sessions.json lists alice's two sessions");
my ($mine) = grep { $_->{current} } @$sessions;
my ($other) = grep { !$_->{current} } @$sessions;
ok($mine && $other, 'one is this device, one is not');
is($mine->{userAgent}, 'DeviceA', "this device's user agent");
is($other->{userAgent}, 'DeviceB', "the other's user agent");
is($mine->{ip}, '127.0.0.1', 'the client address');
like($mine->{created} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'created is an ISO time');
like($other->{lastSeen} // '', qr/^\d{4}-\d\d-\d\dT/, 'last seen is an ISO time');
like($other->{handle} // '', qr/^[0-9a-f]{32}$/, 'a handle is 32 hex digits');
my $body = get($a, '/sessions.json')->content;
ok(index($body, $a->{id}) < 0 && index($body, $b->{id}) < 0, 'no session ID in the list, only handles');
is_deeply([sort keys %$mine], [sort qw(handle created lastSeen userAgent ip current)],
          'the JSON members of issue 14');

my $page = get($a, '/sessions');
is($page->code, 200, 'GET /sessions: 200');
like($page->content, qr{DeviceA <strong>\(this device\)</strong>}, 'the page marks this device');
like($page->content, qr{DeviceB}, 'and lists the other');
like($page->content, qr{action="/sessions/logout-others"}, 'with a button that ends all others');
is(() = $page->content =~ /name="handle" value="[0-9a-f]{32}"/g, 2, 'and one per session');
is(scalar @{ list($bob) }, 1, "bob sees only his own session");

# --- guests and hostile requests -----------------------------------------
my $guest = device('Guest');
my $res = get($guest, '/sessions');
is($res->code, 302, 'a guest asking for /sessions is sent to log in');
is($res->header('Location'), '/login?next=/sessions', '... and back afterwards');
is(get($guest, '/sessions.json')->code, 401, 'a guest gets 401 from /sessions.json');
is(post($guest, '/sessions/logout-others')->header('Location'), '/login',
   'a guest posting logout-others is sent to log in');
$res = post($a, '/sessions/logout-others', [], Origin => 'http://evil.example');
is($res->code, 403, 'logout-others from another site: 403');
is(user_of($b), 'alice', '... and nothing was ended');

for my $bad (['0' x 32, 'an unknown handle'], ['../' . $b->{id}, 'a malformed handle'],
             [$b->{id}, 'a session ID instead of a handle'], [undef, 'no handle']) {
    my ($h, $what) = @$bad;
    $res = post($a, '/sessions/logout', defined $h ? [handle => $h] : []);
    is($res->code, 404, "ending $what: 404");
}
like($res->content, qr{<title>[^<]*</title>}s, '... as a readable page');
my $bobs_handle = list($bob)->[0]{handle};
is(post($a, '/sessions/logout', [handle => $bobs_handle])->code, 404,
   "alice ending bob's session by its handle: 404");
is(user_of($bob), 'bob', '... and bob is still logged in');

# --- logout-others -------------------------------------------------------
my $peer = device('PeerTab', 'sd_sessions_peer');
log_in($peer, 'alice');
is(scalar @{ list($a) }, 3, 'a session made on another port of the realm is listed too');
$res = post($a, '/sessions/logout-others');
is($res->code, 302, 'logout-others redirects');
is($res->header('Location'), '/sessions?ended=2', '... to /sessions, saying how many ended');
like(get($a, '/sessions?ended=2')->content, qr{2 sessions ended\.}, 'the page says so');
is(user_of($b), 'Guest', 'the other device is a guest on its next request');
is(user_of($peer), 'Guest', 'so is the one on the other port');
is(get($b, '/sessions.json')->code, 401, '... and its list is refused');
is(user_of($a), 'alice', 'this device stays logged in');
is(scalar @{ list($a) }, 1, 'the list holds this device only');
ok(!SDTest::mc_get_session($b->{id}), 'the ended session is gone from memcached (one copy: deleted)');

# --- ending one ----------------------------------------------------------
log_in($b, 'alice');
my ($h) = map { $_->{handle} } grep { !$_->{current} } @{ list($a) };
$res = post($a, '/sessions/logout', [handle => $h]);
is($res->code, 302, 'ending one session redirects');
is($res->header('Location'), '/sessions?ended=1', '... to /sessions');
is(user_of($b), 'Guest', 'that device is a guest');
is(post($a, '/sessions/logout', [handle => $h])->code, 404, 'ending it again: 404');
my $own = list($a)->[0]{handle};
$res = post($a, '/sessions/logout', [handle => $own]);
is($res->header('Location'), '/', "ending this device's own session is a logout");
like(join("\n", $res->header('Set-Cookie')), qr/^sessions\.sid=;.*Expires=Thu, 01 Jan 1970/m,
     '... which expires the cookie');
is(user_of($a), 'Guest', '... and the device is a guest');

# --- an end racing the ended session's own requests ----------------------
log_in($a, 'alice');
log_in($b, 'alice');
my $victim = $b->{id};
my @racers;
for my $racer (1 .. 4) {
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        # The ended device keeps adding to its cart from four tabs: one of
        # them always holds its session between read and write when the
        # end comes.
        my ($i, $until) = (0, time + 1.2);
        post($b, '/add-to-cart', [item => "t$racer-" . ++$i]) while time < $until && $i < 2000;
        exit 0;
    }
    push @racers, $pid;
}
select undef, undef, undef, 0.3;
$res = post($a, '/sessions/logout-others');
waitpid $_, 0 for @racers;
is($res->header('Location'), '/sessions?ended=1', 'logout-others while the other device is busy');
ok(!SDTest::mc_get_session($victim), 'none of its racing requests brought the ended session back');
is(user_of($b), 'Guest', 'and the device is a guest');

# The same, step by step: a request of the ended device holds its session's
# lock (the test holds it, as that request would) and writes after the end
# was asked for. The end waits for the lock, so its tombstone comes last.
log_in($b, 'alice');
$victim = $b->{id};
my $lock = lock_key('sess:', $victim, 'sessions-test');
ok(mc_command("add $lock 0 30 9\r\nheld-here") =~ /^STORED/, "the device's request holds its session's lock");
my $ender = fork // die "fork: $!";
if (!$ender) {
    my $r = post($a, '/sessions/logout-others');
    exit($r->code == 302 ? 0 : 1);
}
select undef, undef, undef, 0.6;
ok(ref list($b), 'the end waits while a request of the session holds its lock (read-only pages still see the session)');
my (undef, $held_copy) = SDTest::mc_get_session($victim);
(my $written = $held_copy) =~ s/"visitCount":(\d+)/'"visitCount":' . ($1 + 5)/e;
ok(SDTest::mc_set_session($victim, 2, 3600, $written), 'that request writes the session, then lets go');
mc_command("delete $lock");
waitpid $ender, 0;
is($?, 0, 'logout-others then goes ahead');
ok(!SDTest::mc_get_session($victim), 'and the write of the racing request did not bring the session back');
is(user_of($b), 'Guest', 'the device is a guest');

# --- the bound -----------------------------------------------------------
my @carol = map { device("Carol$_") } 1 .. 4;
for my $i (0 .. 3) {
    log_in($carol[$i], 'carol');
    get($carol[$i], '/') for 1 .. ($i == 0 ? 0 : 1);
    select undef, undef, undef, 0.01;
}
is(user_of($carol[0]), 'Guest', 'a fourth login (SessionDemoMaxSessionsPerUser 3) ended the oldest login');
is(scalar(grep { user_of($_) eq 'carol' } @carol[1 .. 3]), 3, 'the three others are logged in');
is(scalar @{ list($carol[3]) }, 3, 'the index holds three');
ok(!grep({ $_->{userAgent} eq 'Carol1' } @{ list($carol[3]) }), '... not the ended one');

# --- the admin's revoke --------------------------------------------------
my $status = $json->decode(LWP::UserAgent->new->get("$base{sd_sessions}/sessiondemo-status?json")->content);
ok(($status->{indexed_users} // 0) >= 2, "the status page counts the realm's indexed users");
$res = revoke('carol', Origin => 'http://evil.example');
is($res->code, 403, 'a revoke from another site: 403');
$res = revoke('carol');
is($res->code, 200, 'POST revoke-user=carol: 200');
is_deeply($json->decode($res->content), { user => 'carol', realm => 'sessions-test', revoked => 3 },
          '... ending 3 sessions of the realm (JSON)');
is(scalar(grep { user_of($_) eq 'Guest' } @carol), 4, "all of carol's devices are guests");
is_deeply($json->decode(revoke('nobody-at-all')->content),
          { user => 'nobody-at-all', realm => 'sessions-test', revoked => 0 }, 'revoking a user without sessions: 0');
is(revoke("bad\x{ff}")->code, 400, 'revoke-user that is not UTF-8: 400');
is(revoke("a\nb")->code, 400, 'revoke-user with a control character: 400');
is(admin_post("$base{sd_sessions}/sessiondemo-status", [foo => 1])->code,
   400, 'a POST without revoke-user: 400');
is(user_of($bob), 'bob', "bob's session was never touched");

# --- a session express-session made --------------------------------------
my $eid = 'ExpressMadeThisSession00000000ab';
SDTest::mc_set_session($eid, 2, 3600, '{"cookie":{"originalMaxAge":3600000,"expires":"2099-01-01T00:00:00.000Z",'
       . '"httpOnly":true,"path":"/"},"isLoggedIn":true,"username":"dave","visitCount":1}');
my $dave = device('DavesExpress');
# Its first request here carries the cookie express-session set; the reply
# re-sends it (the expiry slid), so the jar has it afterwards.
is(get($dave, '/', Cookie => 'sessions.sid=' . sign_id($eid, $secret))->content =~ m{<strong>Name:</strong> dave</p>}
   ? 'dave' : '', 'dave', "express-session's session is adopted");
$sessions = list($dave);
is(ref $sessions && scalar @$sessions, 1, '... and indexed on its first save here');
ok(ref $sessions && $sessions->[0]{current}, '... as this device');

# --- what a record says about its login (under Adopt) ---------------------
# Every record the module writes says how its login was verified, a
# guest's "none"; the Express app logging in on such a record is its login
# (adopted, indexed); a record with our member and no "login" is an older
# version's (its demo logins look the same): a guest.
{
    my $guest = device('StampedGuest');
    my $gid = session_id(cookie_value(post($guest, '/add-to-cart', [item => 'apple'],
                                           Origin => $base{sd_sessions}), 'sessions.sid'));
    like((SDTest::mc_get_session($gid))[1] // '', qr/"sessiondemo":\{[^}]*"login":"none"/,
         'a guest\'s record says "login":"none"');
    my $stamped = '{"cookie":{"originalMaxAge":3600000,"expires":"2099-01-01T00:00:00.000Z",'
        . '"httpOnly":true,"path":"/"},"sessiondemo":{"realm":"sessions-test","gen":1,%s},'
        . '"isLoggedIn":true,"username":"%s","visitCount":1}';
    my $hid = 'ExpressOnOurGuestRecord000000abc';
    SDTest::mc_set_session($hid, 2, 3600, sprintf($stamped, '"login":"none"', 'hank'));
    my $hank = device('HanksExpress');
    like(get($hank, '/', Cookie => 'sessions.sid=' . sign_id($hid, $secret))->content,
         qr{<strong>Name:</strong> hank</p>}, 'the Express app\'s login on our "none" record is adopted');
    $sessions = list($hank);
    is(ref $sessions && scalar @$sessions, 1, '... and indexed on its first save here');
    like((SDTest::mc_get_session($hid))[1] // '', qr/"login":"express"/, '... written as the Express app\'s');
    my $oid = 'OlderVersionsDemoLogin0000000abc';
    SDTest::mc_set_session($oid, 2, 3600, sprintf($stamped, '"created":1', 'alice'));
    my $older = device('OlderDemo');
    like(get($older, '/', Cookie => 'sessions.sid=' . sign_id($oid, $secret))->content,
         qr{<strong>Name:</strong> Guest</p>}, 'a record with our member and no "login" (an older'
         . ' version\'s demo login) is a guest under Adopt');
}

# --- demo mode -----------------------------------------------------------
{
    my $demo = device('Demo');
    $demo->{base} = do { local $Apache::TestRequest::Module = undef; 'http://' . Apache::TestRequest::hostport() };
    post($demo, '/login', [username => 'anyone', password => 'any']);
    my $r = get($demo, '/sessions');
    is($r->code, 503, 'in demo mode (anyone can log in as anyone) /sessions is off: 503');
    like($r->content, qr/demo\s+mode/, '... saying why');
}

# --- a provider that ignores case ----------------------------------------
{
    my $lower = device('LowerA', 'sd_sessions_nocase');
    my $upper = device('UpperA', 'sd_sessions_nocase');
    log_in($lower, 'alice', 'nocase.sid');
    log_in($upper, 'ALICE', 'nocase.sid');
    like(get($upper, '/')->content, qr{<strong>Name:</strong> alice</p>},
         'SessionDemoUsernameCase Lower: ALICE is alice');
    is(scalar @{ list($lower) }, 2, "... and her list holds both logins");
    post($lower, '/sessions/logout-others');
    like(get($upper, '/')->content, qr{<strong>Name:</strong> Guest</p>}, '... so logout-others ends the ALICE one');
}

# --- a login indexed after its user's sessions were ended ----------------
# The index's lock is held (as a slow writer would), so the login waits to
# be indexed while the admin's revoke runs; whichever gets the index first,
# the login made before the revoke does not survive it.
{
    require Digest::SHA;
    my $index_lock = lock_key('sess:', 'index:' . Digest::SHA::sha256_hex("sessions-test\0erin"), 'sessions-test');
    ok(mc_command("add $index_lock 0 30 4\r\nheld") =~ /^STORED/, "erin's index is locked");
    my $erin = device('ErinPending');
    pipe(my $rd, my $wr) or die "pipe: $!";
    my $login = fork // die "fork: $!";
    if (!$login) {
        close $rd;
        my $r = post($erin, '/login', [username => 'erin', password => 'pw']);
        print $wr $r->code, ' ', (cookie_value($r, 'sessions.sid') // ''), "\n";
        close $wr;
        exit 0;
    }
    close $wr;
    select undef, undef, undef, 0.5;
    my $rev = fork // die "fork: $!";
    if (!$rev) { revoke('erin'); exit 0 }
    select undef, undef, undef, 0.5;
    mc_command("delete $index_lock");
    my ($code, $cookie) = split ' ', scalar(<$rd>) // '';
    waitpid $login, 0;
    waitpid $rev, 0;
    my $guest_after = 1;
    if ($cookie) {
        my $r = LWP::UserAgent->new->get("$base{sd_sessions}/protected", Cookie => "sessions.sid=$cookie");
        $guest_after = $r->code == 401;
    }
    ok(($code // 0) == 503 && !$cookie || $code == 302 && $guest_after,
       "a login made before the revoke is ended whichever came first (login $code, cookie "
       . ($cookie ? 'then a guest' : 'none') . ')');
}

# --- memcached's item size bounds the index ------------------------------
{
    my @codes;
    my @devs = map { device('F' x 190 . $_, 'sd_sessions_small') } 1 .. 10;
    push @codes, log_in($_, 'frank', 'smallidx.sid')->code for @devs;
    is_deeply(\@codes, [(302) x 10], 'ten logins with long user agents on a memcached of 2 KB items all succeed');
    my $n = list($devs[-1]);
    ok(ref $n && @$n >= 2 && @$n < 10, 'the index keeps what fits (' . (ref $n ? scalar @$n : $n) . ' sessions)');
    like(get($devs[0], '/')->content, qr{Name:</strong> Guest}, 'the oldest logins were ended to make room');
}

# --- the bound passes over a session it cannot end at once ---------------
{
    my @g = map { device("Gina$_") } 1 .. 4;
    for my $i (0 .. 2) { log_in($g[$i], 'gina'); select undef, undef, undef, 0.01 }
    my $held = lock_key('sess:', $g[0]{id}, 'sessions-test');
    ok(mc_command("add $held 0 30 4\r\nheld") =~ /^STORED/, "the oldest login's lock is held by a request");
    is(log_in($g[3], 'gina')->code, 302, 'a fourth login is not refused');
    mc_command("delete $held");
    is(user_of($g[0]), 'gina', '... the busy oldest one was passed over');
    is(user_of($g[1]), 'Guest', '... the next oldest was ended instead');
    is(user_of($g[3]), 'gina', '... and the new login holds');
}

# --- demo mode writes no index and revokes nothing -----------------------
{
    my $main = do { local $Apache::TestRequest::Module = undef; 'http://' . Apache::TestRequest::hostport() };
    my $writes = sub { $json->decode(LWP::UserAgent->new->get("$main/sessiondemo-status?json")->content)->{counters}{index_writes} };
    my $before = $writes->();
    my $demo = device('Demo2');
    $demo->{base} = $main;
    post($demo, '/login', [username => 'victor', password => 'any']);
    post($demo, '/logout');
    is($writes->(), $before, 'a demo-mode login and logout write no index');
    my $r = admin_post("$main/sessiondemo-status", ['revoke-user' => 'victor']);
    is($r->code, 503, 'revoke-user in demo mode: 503, not a "0 revoked" that would mislead');
}

# --- the status handler's other doors -----------------------------------
{
    my $h = device('Hank');
    log_in($h, 'bob');
    my $r = admin_post("$base{sd_sessions}/sessiondemo-status?format=prometheus", ['revoke-user' => 'bob']);
    is($r->code, 400, 'a POST to the metrics address does not revoke (400)');
    is($r->header('X-Content-Type-Options'), 'nosniff', '... and carries the security headers');
    is(user_of($h), 'bob', '... bob is still logged in');
    $r = LWP::UserAgent->new->request(HTTP::Request->new(PUT => "$base{sd_sessions}/sessiondemo-status"));
    like($r->header('Allow') // '', qr/\bPOST\b/, "a PUT's 405 names POST in Allow");
}

# --- express-session's "Dave" under SessionDemoUsernameCase Lower --------
{
    my $id = 'ExpressMadeDaveUpperCase0000000a';
    SDTest::mc_set_session($id, 2, 3600, '{"cookie":{"originalMaxAge":3600000,"expires":"2099-01-01T00:00:00.000Z",'
           . '"httpOnly":true,"path":"/"},"isLoggedIn":true,"username":"Dave","visitCount":1}');
    my $d = device('DaveUpper', 'sd_sessions_nocase');
    my $r = get($d, '/', Cookie => 'nocase.sid=' . sign_id($id, $secret));
    like($r->content, qr{<strong>Name:</strong> dave</p>}, "an adopted session's name is lowered too");
}

# --- a handle made under a secret since retired still names its session --
{
    require Digest::SHA;
    my $old = device('OldPage');
    my $new = device('NewPage');
    log_in($old, 'alice');
    log_in($new, 'alice');
    my $retired = 'retired test secret, verify only';
    my $handle = substr(Digest::SHA::hmac_sha256_hex("sessiondemo-handle:$old->{id}", $retired), 0, 32);
    is(post($new, '/sessions/logout', [handle => $handle])->code, 302,
       'a handle shown before a secret rotation (made with the retired secret) still works');
    is(user_of($old), 'Guest', '... and ends its session');
}

# --- a login that cannot be indexed is refused, and leaves no session ----
{
    require Digest::SHA;
    my $index_lock = lock_key('sess:', 'index:' . Digest::SHA::sha256_hex("sessions-nocase\0frank"), 'sessions-nocase');
    ok(mc_command("add $index_lock 0 30 4\r\nheld") =~ /^STORED/, "frank's index is locked beyond SessionDemoLockWait");
    my $f = device('FrankBlocked', 'sd_sessions_nocase');
    my $r = post($f, '/login', [username => 'frank', password => 'pw']);
    mc_command("delete $index_lock");
    is($r->code, 503, 'the login that cannot be indexed is refused (503)');
    my $sid = session_id(cookie_value($r, 'nocase.sid'));
    ok(!$sid, '... and no session cookie is sent');
    like(get($f, '/')->content, qr{Name:</strong> Guest}, '... the browser is a guest');
}

# --- an end whose lock is held past SessionDemoLockWait still ends -------
{
    my ($fa, $fb) = (device('FrankA', 'sd_sessions_nocase'), device('FrankB', 'sd_sessions_nocase'));
    log_in($fa, 'frank', 'nocase.sid');
    log_in($fb, 'frank', 'nocase.sid');
    my $busy = lock_key('sess:', $fb->{id}, 'sessions-nocase');
    mc_command("add $busy 0 30 4\r\nheld");
    # Since the store review's finding 4, an end no longer gives up on a
    # lock it cannot have (it may be set for ever): the tombstone is written.
    is(post($fa, '/sessions/logout-others')->header('Location'), '/sessions?ended=1',
       "logout-others while the other session's lock is held past SessionDemoLockWait: ended without it");
    mc_command("delete $busy");
    is(post($fa, '/sessions/logout-others')->header('Location'), '/sessions?ended=0', '... tried again, nothing is left');
    like(get($fb, '/')->content, qr{Name:</strong> Guest}, '... and that device is a guest');
}
