# express-session's save rules through our directives: SaveUninitialized,
# Resave, Rolling, the throttled refresh (SessionDemoRefreshThreshold), and
# when Set-Cookie is sent.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use SDTest qw(use_vhost login cookie_value session_id mc_get mc_stats);

plan tests => 18;

# Session writes during a request: memcached's cmd_set counts set and add
# alike, so each session lock (an add, released by a delete) is subtracted
# through the delete it ends with.
sub sets_during(&) {
    my ($code) = @_;
    my $before = mc_stats();
    my $res = $code->();
    my $after = mc_stats();
    return ($after->{cmd_set} - $before->{cmd_set}
            - ($after->{delete_hits} - $before->{delete_hits}), $res);
}

# Defaults: Resave Off, Rolling Off, refresh when < 50 % of 1 day is left.
use_vhost(undef);
login('judy');
GET '/';
my ($sets, $res) = sets_during { GET '/profile' };
is($sets, 0, 'default: a read-only page does not write the session');
ok(!defined $res->header('Set-Cookie'), 'default: no Set-Cookie when nothing changed');
($sets, $res) = sets_during { GET '/' };
is($sets, 1, 'default: a page that changes the session writes it once');
ok(defined cookie_value($res), 'default: Set-Cookie (new Expires) when the session changed');

# Resave On: every request writes.
use_vhost('sd_resave');
login('kim');
($sets, $res) = sets_during { GET '/profile' };
is($sets, 1, 'Resave On: a read-only page writes the session');
ok(defined cookie_value($res), 'Resave On: the cookie Expires slides with the stored expiry');

# Rolling On: the cookie on every response, and its expiry slides.
use_vhost('sd_rolling');
login('leo');
($sets, $res) = sets_during { GET '/profile' };
ok(defined cookie_value($res), 'Rolling On: Set-Cookie on an unmodified response');
is($sets, 1, 'Rolling On: the server-side expiry slides too');

# RefreshThreshold 100 (sd_short): every view rewrites the TTL.
use_vhost('sd_short');
login('mia');
($sets) = sets_during { GET '/profile' };
is($sets, 1, 'RefreshThreshold 100: an unmodified session is refreshed');

# RefreshThreshold 0: never refreshed unless modified.
use_vhost('sd_norefresh');
login('ned');
($sets) = sets_during { GET '/profile' };
is($sets, 0, 'RefreshThreshold 0: no refresh write');

# A session that has used up more than half its life is refreshed by a
# read-only view under the default threshold.
use_vhost(undef);
$res = login('olga');
my $id = session_id(cookie_value($res));
my ($flags, $data) = mc_get("sess:$id");
my $soon = do { my @t = gmtime(time + 3600); sprintf '%04d-%02d-%02dT%02d:%02d:%02d.000Z',
                 $t[5] + 1900, $t[4] + 1, @t[3, 2, 1, 0] };
$data =~ s/"expires":"[^"]+"/"expires":"$soon"/;
SDTest::mc_set("sess:$id", 2, 3600, $data);
($sets, $res) = sets_during { GET '/profile' };
is($sets, 1, 'default: a session with 1 h of 24 h left is refreshed by a read');
ok(defined cookie_value($res), '... and the browser gets the new Expires');
($flags, $data) = mc_get("sess:$id");
unlike($data, qr/"expires":"\Q$soon\E"/, '... and its expires moved forward');

# SaveUninitialized On: every visitor gets a stored session and a cookie.
use_vhost('sd_uninit');
($sets, $res) = sets_during { GET '/' };
is($sets, 1, 'SaveUninitialized On: a guest page stores a session');
my $guest = session_id(cookie_value($res));
ok($guest, 'SaveUninitialized On: and sets a cookie');
ok(scalar(() = mc_get("sess:$guest")), 'the uninitialized session is in memcached');
($sets, $res) = sets_during { GET '/' };
is($sets, 0, 'SaveUninitialized On: the same guest does not write again');

# Default SaveUninitialized Off: checked in 01_guest.t; here, the login
# form alone stores nothing.
use_vhost(undef);
($sets) = sets_during { GET '/login' };
is($sets, 0, 'SaveUninitialized Off: the login form stores nothing');
