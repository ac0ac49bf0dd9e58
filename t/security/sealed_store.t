# SPDX-License-Identifier: Apache-2.0
# Defect 5 of issue 20: whoever can reach memcached (Debian's listens on
# loopback without authentication) learns nothing a cookie can use and
# cannot become anyone. Written the way such an attacker works: raw
# text-protocol commands (lru_crawler metadump, get, set) and the cookies
# of their own logins, never the module's secret. Then the review's
# findings on revokes: a copy set back after a revoke ends at its next
# save (the app's, the gate's refresh), a deleted index is rebuilt by the
# next save, an index that does not open makes a revoke 503, a lock key
# set for ever does not stop a revoke. Then rotation (a record stored
# under an older secret's key is served and moved), and Express format
# still writing express-session's plain JSON when chosen.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use Digest::SHA ();
use HTTP::Request::Common ();
use JSON::PP ();
use LWP::UserAgent ();
use SDTest qw(use_vhost cookie_value session_id mc_get mc_set mc_command sign_id
              in_realm realm store_key seal_record lock_key @TEST_SECRETS);

plan tests => 74;

my @html = (Accept => 'text/html');

# Every key memcached holds, as `lru_crawler metadump all` lists them.
sub all_keys {
    my $s = SDEnv::mc_socket();
    print $s "lru_crawler metadump all\r\n";
    my @keys;
    while (my $line = <$s>) {
        last if $line =~ /^(END|ERROR|BUSY)/;
        push @keys, $1 =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ger if $line =~ /^key=(\S+)/;
    }
    return @keys;
}

sub unsealable {
    Apache::TestRequest::user_agent(reset => 1, cookie_jar => undef, requests_redirectable => 0);
    my $res = GET('/sessiondemo-status?json');
    return JSON::PP::decode_json($res->content)->{counters}{records_unsealable};
}

sub log_in {
    my ($user, $password) = @_;
    Apache::TestRequest::user_agent(reset => 1, cookie_jar => undef, requests_redirectable => 0);
    my $res = POST '/login', [username => $user, password => $password];
    my $value = cookie_value($res);
    return ($value ? 'gate.sid=' . $value : '', session_id($value));
}

# --- what a key listing and a raw get show ---------------------------------
use_vhost(undef);
my $unsealable_before = unsealable();
use_vhost('sd_gate');
my %before = map { $_ => 1 } all_keys();
my ($bob, $bob_id) = log_in('bob', 'hunter2 hunter2');
my ($alice, $alice_id) = log_in('alice', 'correct horse battery');
ok($bob_id && $alice_id, 'bob and alice log in');
is(GET('/alice-only/page.html', Cookie => $alice, @html)->code, 200, 'alice opens Require user alice');
my @keys = all_keys();
my @new = grep { !$before{$_} } @keys;
ok(scalar(@keys) && !grep({ index($_, $bob_id) >= 0 || index($_, $alice_id) >= 0 } @keys),
   'lru_crawler metadump lists keys, none containing a session ID');
ok((grep { $_ eq store_key($bob_id) } @new), "bob's record is one of the keys his login added (a keyed hash)");
# The attacker writes where the record is: under its ID when memcached
# lists that (express-session's format), else the keyed hash.
sub key_of_id {
    my ($id) = @_;
    return (grep { $_ eq "sess:$id" } @keys) ? "sess:$id" : store_key($id);
}
my $bob_key = key_of_id($bob_id);
my ($flags, $raw) = mc_get($bob_key);
ok(defined $raw && $raw !~ /bob|isLoggedIn|username|\Q$bob_id\E/, "a raw get of bob's record shows nothing in clear");
is($flags, 0, '... and its flags are not JSON');
my @clear = grep { my (undef, $v) = mc_get($_); defined $v && $v =~ /"(bob|alice)"|isLoggedIn/ } @new;
is(scalar @clear, 0, 'no record the logins wrote (sessions, user index, count) names a user in clear');

# --- rewriting one's own record ------------------------------------------------
# Each attempt: bob's key gets other bytes; bob's cookie must then be a
# guest (redirected to the login page), never alice, never a 500.
sub as_bob {
    my ($what) = @_;
    my $page = GET('/alice-only/page.html', Cookie => $bob, @html);
    my $private = GET('/private/page.html', Cookie => $bob, @html);
    ok($page->code != 200 && $page->code != 500 && $private->code == 302,
       "$what: bob's cookie is a guest, not alice and not a 500")
        or diag($page->code . ' / ' . $private->code);
}

(my $flipped = $raw // "") =~ s/^(SD1\.[0-9.]+)(.)(.)/$1 . $3 . $2/e;
substr($flipped, -20, 1) = substr($flipped, -20, 1) eq 'A' ? 'B' : 'A' if length($flipped) >= 20;
ok(mc_set($bob_key, 0, 600, $flipped), 'bytes of bob\'s record are changed');
as_bob('flipped bytes');

my $alice_key = key_of_id($alice_id);
my (undef, $alice_raw) = mc_get($alice_key);
ok(mc_set($bob_key, 0, 600, $alice_raw // ""), "alice's record is copied under bob's key");
as_bob("alice's record moved to bob's key");

my $forged = in_realm('{"cookie":{"originalMaxAge":3600000,"expires":"2099-01-01T00:00:00.000Z","httpOnly":true,"path":"/"},'
                      . '"isLoggedIn":true,"username":"alice","loginTime":"2026-01-01T00:00:00.000Z","visitCount":1}');
ok(mc_set($bob_key, 2, 600, $forged), 'a plain JSON record naming alice is set under bob\'s key');
as_bob('forged plain JSON');
ok(mc_set($bob_key, 0, 600, 'SD1.999.0.1.1.' . ('A' x 60)), 'a record with a made-up header and body');
as_bob('made-up sealed record');
ok(mc_set($bob_key, 0, 600, 'SD1.1.0.' . ('9' x 40) . '.1.AAAA'), 'a record with an overflowing header');
as_bob('overflowing header');

use_vhost('sd_gate');
is(GET('/alice-only/page.html', Cookie => $alice, @html)->code, 200, "alice's own session is untouched");
use_vhost(undef);
ok(unsealable() - $unsealable_before >= 5, 'records_unsealable counts the records that did not open')
    or diag(unsealable() . " vs $unsealable_before");

# --- the review's findings on revokes (an attacker with memcached and a login) ---
# The admin's revoke, as t/session/user_sessions.t posts it: authenticated,
# from the page itself.
sub revoke {
    my ($user) = @_;
    my $url = 'http://' . Apache::TestRequest::hostport() . '/sessiondemo-status';
    my $req = HTTP::Request::Common::POST($url, ['revoke-user' => $user]);
    $req->authorization_basic('alice', 'correct horse battery');
    (my $origin = $url) =~ s{^(https?://[^/]+).*}{$1};
    $req->header(Origin => $origin);
    my $res = LWP::UserAgent->new(timeout => 30)->request($req);
    my $n = $res->code == 200 ? eval { JSON::PP::decode_json($res->content)->{revoked} } : undef;
    return ($res->code, $n);
}
# The key of a user's index: the keyed hash of "index:" + SHA-256 of the
# realm, a NUL and the name (what a key listing diff of one's own login shows).
sub index_key {
    my ($user) = @_;
    return store_key('index:' . Digest::SHA::sha256_hex(realm() . "\0" . $user));
}
sub bob_is {
    my ($cookie) = @_;
    my $code = GET('/private/page.html', Cookie => $cookie, @html)->code;
    return $code == 200 ? 'bob' : $code == 302 ? 'guest' : $code;
}

use_vhost('sd_gate');
my ($bob2, $bob2_id) = log_in('bob', 'hunter2 hunter2');
my (undef, $bob2_raw) = mc_get(store_key($bob2_id));
ok(defined $bob2_raw, 'finding 1: bob logs in again; the attacker gets his record');
my ($code, $n) = revoke('bob');
ok($code == 200 && $n >= 1, '... the admin revokes bob') or diag("$code " . ($n // ''));
ok(mc_set(store_key($bob2_id), 0, 0, $bob2_raw), '... and the saved copy is set back (TTL 0)');
my $home = GET('/', Cookie => $bob2);
is($home->code, 401, '... the first save (a visit) ends it: 401') or diag($home->code);
like($home->content, qr/session has ended/, '... saying why');
is(bob_is($bob2), 'guest', '... and the put-back copy is a guest from then on');

my ($bob3, $bob3_id) = log_in('bob', 'hunter2 hunter2');
is(mc_command('delete ' . index_key('bob')), 'DELETED', 'finding 1: bob\'s index is deleted');
is(GET('/', Cookie => $bob3)->code, 200, '... his next save still works');
($code, $n) = revoke('bob');
ok($code == 200 && $n == 1, '... and re-indexed it: a revoke ends it') or diag("$code " . ($n // ''));
is(bob_is($bob3), 'guest', '... bob is a guest');

# Round 2, finding 2: losing the index (eviction, a restarted node) does
# not log bob out on his other devices: the first save rebuilds it, the
# others, saved before the rebuild, are indexed again; a revoke after it
# still ends them all.
{
    my ($dev_a) = log_in('bob', 'hunter2 hunter2');
    my ($dev_b, $dev_b_id) = log_in('bob', 'hunter2 hunter2');
    my (undef, $b_copy) = mc_get(store_key($dev_b_id));
    is(mc_command('delete ' . index_key('bob')), 'DELETED', 'round 2, finding 2: two devices, the index is lost');
    is(GET('/', Cookie => $dev_a)->code, 200, '... device A saves, rebuilding it');
    my $b_code = GET('/', Cookie => $dev_b)->code;
    is($b_code, 200, '... device B saves too, not ended');
    is(bob_is($dev_a) . ' ' . bob_is($dev_b), 'bob bob', '... both are still bob');
    ($code, $n) = revoke('bob');
    ok($code == 200 && $n == 2, '... a revoke afterwards ends both') or diag("$code " . ($n // ''));
    is(bob_is($dev_a) . ' ' . bob_is($dev_b), 'guest guest', '... both are guests');
    ok(mc_set(store_key($dev_b_id), 0, 0, $b_copy // ''), '... B\'s copy from before the loss is set back');
    is(GET('/', Cookie => $dev_b)->code, 401, '... and its save ends it: the revoke\'s mark outranks the rebuild');
}

my ($bob4) = log_in('bob', 'hunter2 hunter2');
ok(mc_set(index_key('bob'), 0, 0, 'SD1.999999.0.0.0.' . ('A' x 64)), 'finding 2: bob\'s index is overwritten');
($code, $n) = revoke('bob');
is($code, 503, '... a revoke that cannot read it answers 503, not revoked:0');
is(GET('/sessions.json', Cookie => $bob4)->code, 503, '... so does the list of his sessions');
is(bob_is($bob4), 'bob', '... (bob is still logged in, as the 503 says)');
is(GET('/', Cookie => $bob4)->code, 200, 'round 2, finding 5: his saves still work (saved unchecked, SD00326)');
my ($bob4b) = log_in('bob', 'hunter2 hunter2');
is($bob4b, '', '... while a login that cannot be indexed is still refused');
mc_command('delete ' . index_key('bob'));
is(GET('/', Cookie => $bob4)->code, 200, '... once the index is deleted, his save re-indexes it');
($code, $n) = revoke('bob');
ok($code == 200 && $n == 1, '... and the revoke ends it') or diag("$code " . ($n // ''));

# The gate's refresh is a save too (sd_gate_due refreshes on every request).
use_vhost('sd_gate_due');
{
    Apache::TestRequest::user_agent(reset => 1, cookie_jar => undef, requests_redirectable => 0);
    my $res = POST '/login', [username => 'bob', password => 'hunter2 hunter2'];
    my $due = 'due.sid=' . (cookie_value($res, 'due.sid') // '');
    my $due_id = session_id(cookie_value($res, 'due.sid'));
    my (undef, $due_raw) = mc_get(store_key($due_id));
    ($code, $n) = revoke('bob');
    ok($code == 200 && $n >= 1 && mc_set(store_key($due_id), 0, 0, $due_raw // ''),
       "finding 1, the gate: bob's copy is set back after a revoke") or diag("$code " . ($n // ''));
    is(GET('/private/page.html', Cookie => $due, @html)->code, 302,
       "... the gate's refresh ends it: a guest, sent to log in");
}
# Round 2, finding 1: sessions adopted from express-session ("express"
# logins) are indexed at their first save, the gate's refresh's or the
# app's, and checked at every save after, as password logins are.
{
    require POSIX;
    my $n_adopted = 0;
    for my $case (['dave', sub { GET('/private/page.html', Cookie => $_[0], @html)->code }],
                  ['erin', sub { GET('/', Cookie => $_[0])->code }]) {
        my ($user, $visit) = @$case;
        # Other files leave sessions of these users in this realm (an adopted
        # "Dave" in t/gate/boundaries.t): the revoke below counts this one's.
        mc_command('delete ' . index_key($user));
        my $id = sprintf('ExpressAdoptedRevoke%012d', ++$n_adopted);
        my $exp = POSIX::strftime('%Y-%m-%dT%H:%M:%S.000Z', gmtime(time + 100000));
        SDTest::mc_set_session($id, 2, 3600, qq({"cookie":{"originalMaxAge":100000000,"expires":"$exp",)
               . qq("httpOnly":true,"path":"/"},"isLoggedIn":true,"username":"$user","visitCount":1}));
        my $c = 'due.sid=' . sign_id($id, $TEST_SECRETS[0]);
        Apache::TestRequest::user_agent(reset => 1, cookie_jar => undef, requests_redirectable => 0);
        my $first = $visit->($c);
        my $second = $visit->($c);
        my (undef, $copy) = mc_get(store_key($id));
        ($code, $n) = revoke($user);
        ok($first == 200 && $second == 200 && $code == 200 && $n == 1,
           "round 2, finding 1: ${user}'s adopted session, saved here, is ended by a revoke")
            or diag("$first $second $code " . ($n // ''));
        ok(mc_set(store_key($id), 0, 0, $copy // ''), '... its saved copy is set back');
        my $after = $visit->($c);
        ok($after == 401 || $after == 302, '... and the next save ends it') or diag($after);
        is(GET('/private/page.html', Cookie => $c, @html)->code, 302, '... a guest from then on');
    }
}
use_vhost('sd_gate');

my ($bob5, $bob5_id) = log_in('bob', 'hunter2 hunter2');
my $bob5_lock = lock_key('sess:', $bob5_id);
ok(mc_set($bob5_lock, 0, 0, 'not-a-request-of-ours'), "finding 4: a lock key of bob's session is set for ever");
($code, $n) = revoke('bob');
ok($code == 200 && $n == 1, '... a revoke still ends it, without the lock') or diag("$code " . ($n // ''));
is(bob_is($bob5), 'guest', '... bob is a guest');
mc_command("delete $bob5_lock");

# Round 2, finding 4: an end without the session's lock drops it from the
# index BEFORE writing its tombstone (so a request that did hold the lock
# finds it unlisted at its save, not listed over a tombstone). Seen here
# with the index's lock held too: the drop cannot be made, so neither is
# the tombstone, and the session stays listed for the next revoke.
{
    my ($bob6, $bob6_id) = log_in('bob', 'hunter2 hunter2');
    my $session_lock = lock_key('sess:', $bob6_id);
    my $index_lock = lock_key('sess:', 'index:' . Digest::SHA::sha256_hex(realm() . "\0bob"));
    ok(mc_set($session_lock, 0, 0, 'not-a-request-of-ours') && mc_set($index_lock, 0, 0, 'not-a-request-of-ours'),
       "round 2, finding 4: the locks of bob's session and of his index are held");
    ($code, $n) = revoke('bob');
    is($code, 503, '... a revoke cannot unlist the session: 503');
    is(bob_is($bob6), 'bob', '... and wrote no tombstone before unlisting it: bob is still logged in');
    mc_command("delete $index_lock");
    ($code, $n) = revoke('bob');
    ok($code == 200 && $n == 1, '... with the index free again, the revoke ends it') or diag("$code " . ($n // ''));
    is(bob_is($bob6), 'guest', '... bob is a guest');
    mc_command("delete $session_lock");
}

# --- rotation: a record stored when the retired secret was the first ----------
use_vhost(undef);
my $old_id = 'RotatedSession0123456789abcdefgh';
my $old_key = store_key($old_id, 'sess:', $TEST_SECRETS[1]);
my $record = in_realm('{"cookie":{"originalMaxAge":86400000,"expires":"2099-01-01T00:00:00.000Z","httpOnly":true,"path":"/"},'
                      . '"isLoggedIn":true,"username":"rosa","loginTime":"2026-01-01T00:00:00.000Z","visitCount":1}');
ok(mc_set($old_key, 0, 600, seal_record($TEST_SECRETS[1], $old_key, $record, 600)),
   'a session sealed under the retired secret, at its key');
my $old_cookie = 'connect.sid=' . sign_id($old_id, $TEST_SECRETS[1]);
Apache::TestRequest::user_agent(reset => 1, cookie_jar => undef, requests_redirectable => 0);
my $res = GET('/', Cookie => $old_cookie);
like($res->content, qr{<strong>Name:</strong> rosa</p>}, 'is served, still logged in');
ok(scalar(() = mc_get(store_key($old_id))), '... and its write moved it to the first secret\'s key');
ok(!scalar(() = mc_get($old_key)), '... removing the old key');
my $new_cookie = 'connect.sid=' . cookie_value($res);
like(GET('/', Cookie => $new_cookie)->content, qr{<strong>Name:</strong> rosa</p>},
     'the re-signed cookie stays logged in');
is(POST('/logout', [], Cookie => $new_cookie, Origin => 'http://' . Apache::TestRequest::hostport())->code, 302,
   'logout');
unlike(GET('/', Cookie => $old_cookie)->content, qr{rosa}, 'after it, the old cookie is a guest (no old copy left)');

# --- Express format, chosen explicitly -------------------------------------------
use_vhost('sd_express');
Apache::TestRequest::user_agent(reset => 1, cookie_jar => undef, requests_redirectable => 0);
$res = POST '/login', [username => 'erik', password => 'pw'];
my $eid = session_id(cookie_value($res));
($flags, my $plain) = mc_get("sess:$eid");
is($flags, 2, 'SessionDemoStoreFormat Express: the record is under sess:<id>, flags 2');
like($plain // '', qr/^\{"cookie":\{.*"username":"erik"/, '... plain JSON, as express-session writes it');

# --- apache2 -t warns about Express with real passwords --------------------------
{
    require File::Temp;
    my $dir = File::Temp::tempdir(CLEANUP => 1);
    my $top = Apache::Test::vars()->{top_dir};
    my $conf = sub {
        my ($format) = @_;
        return qq{LoadModule sessiondemo_module "$top/.libs/mod_sessiondemo.so"\n}
            . "LoadModule authn_core_module /usr/lib/apache2/modules/mod_authn_core.so\n"
            . "LoadModule authn_file_module /usr/lib/apache2/modules/mod_authn_file.so\n"
            . qq{SessionDemoTemplateDir "$top/templates"\n}
            . qq{SessionDemoSecret "a long enough secret for the start-up tests only 123"\n}
            . "SessionDemoAuthProvider file\n$format\n<Location /app>\nSetHandler sessiondemo\n</Location>";
    };
    my ($rc, $out) = SDTest::config_test($dir, $conf->('SessionDemoStoreFormat Express'));
    ok($rc == 0 && $out =~ /SD00903: .*SessionDemoStoreFormat Express/,
       'apache2 -t warns (SD00903) when a server with passwords uses Express, and passes') or diag $out;
    ($rc, $out) = SDTest::config_test($dir, $conf->(''));
    ok($rc == 0 && $out !~ /SD00903/, '... and not with the default, Sealed') or diag $out;
}
