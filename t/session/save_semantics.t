# SPDX-License-Identifier: Apache-2.0
# express-session's save rules through our directives: SaveUninitialized,
# Resave, Rolling, the throttled refresh (SessionDemoRefreshThreshold), and
# when Set-Cookie is sent.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use SDTest qw(use_vhost login cookie_value session_id mc_get mc_stats);

plan tests => 18;

# Whether a request wrote the session: every write moves the stored
# "expires" (milliseconds), so the stored value changes. memcached's own
# counters would also count the session lock's add and release. Without a
# known session ($key undef), storage commands are counted instead (a
# cookieless request takes no lock).
my $key;
sub sets_during(&) {
    my ($code) = @_;
    if (defined $key) {
        my (undef, $before) = mc_get($key);
        my $res = $code->();
        my (undef, $after) = mc_get($key);
        return (($before // '') ne ($after // '') ? 1 : 0, $res);
    }
    my $before = mc_stats();
    my $res = $code->();
    return (mc_stats()->{cmd_set} - $before->{cmd_set}, $res);
}
sub key_of { SDTest::store_key(session_id(cookie_value($_[0]))) }

# Defaults: Resave Off, Rolling Off, refresh when < 50 % of 1 day is left.
use_vhost(undef);
$key = key_of(login('judy'));
GET '/';
my ($sets, $res) = sets_during { GET '/profile' };
is($sets, 0, 'default: a read-only page does not write the session');
ok(!defined $res->header('Set-Cookie'), 'default: no Set-Cookie when nothing changed');
($sets, $res) = sets_during { GET '/' };
is($sets, 1, 'default: a page that changes the session writes it once');
ok(defined cookie_value($res), 'default: Set-Cookie (new Expires) when the session changed');

# Resave On: every request writes.
use_vhost('sd_resave');
$key = key_of(login('kim'));
($sets, $res) = sets_during { GET '/profile' };
is($sets, 1, 'Resave On: a read-only page writes the session');
ok(defined cookie_value($res), 'Resave On: the cookie Expires slides with the stored expiry');

# Rolling On: the cookie on every response, and its expiry slides.
use_vhost('sd_rolling');
$key = key_of(login('leo'));
($sets, $res) = sets_during { GET '/profile' };
ok(defined cookie_value($res), 'Rolling On: Set-Cookie on an unmodified response');
is($sets, 1, 'Rolling On: the server-side expiry slides too');

# RefreshThreshold 100 (sd_short): every view rewrites the TTL.
use_vhost('sd_short');
$key = key_of(login('mia'));
($sets) = sets_during { GET '/profile' };
is($sets, 1, 'RefreshThreshold 100: an unmodified session is refreshed');

# RefreshThreshold 0: never refreshed unless modified.
use_vhost('sd_norefresh');
$key = key_of(login('ned'));
($sets) = sets_during { GET '/profile' };
is($sets, 0, 'RefreshThreshold 0: no refresh write');

# A session that has used up more than half its life is refreshed by a
# read-only view under the default threshold.
use_vhost(undef);
$res = login('olga');
my $id = session_id(cookie_value($res));
$key = SDTest::store_key($id);
my ($flags, $data) = SDTest::mc_get_session($id);
my $soon = do { my @t = gmtime(time + 3600); sprintf '%04d-%02d-%02dT%02d:%02d:%02d.000Z',
                 $t[5] + 1900, $t[4] + 1, @t[3, 2, 1, 0] };
$data =~ s/"expires":"[^"]+"/"expires":"$soon"/;
SDTest::mc_set_session($id, 2, 3600, $data);
($sets, $res) = sets_during { GET '/profile' };
is($sets, 1, 'default: a session with 1 h of 24 h left is refreshed by a read');
ok(defined cookie_value($res), '... and the browser gets the new Expires');
($flags, $data) = SDTest::mc_get_session($id);
unlike($data, qr/"expires":"\Q$soon\E"/, '... and its expires moved forward');

# SaveUninitialized On: every visitor gets a stored session and a cookie.
use_vhost('sd_uninit');
undef $key;
($sets, $res) = sets_during { GET '/' };
is($sets, 1, 'SaveUninitialized On: a guest page stores a session');
my $guest = session_id(cookie_value($res));
ok($guest, 'SaveUninitialized On: and sets a cookie');
ok(scalar(() = SDTest::mc_get_session($guest)), 'the uninitialized session is in memcached');
$key = SDTest::store_key($guest);
($sets, $res) = sets_during { GET '/' };
is($sets, 0, 'SaveUninitialized On: the same guest does not write again');

# Default SaveUninitialized Off: checked in t/app/guest.t; here, the login
# form alone stores nothing.
use_vhost(undef);
undef $key;
($sets) = sets_during { GET '/login' };
is($sets, 0, 'SaveUninitialized Off: the login form stores nothing');
