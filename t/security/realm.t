# SPDX-License-Identifier: Apache-2.0
# Realms (docs/security.md): a session is valid only in the realm that made
# it. Two virtual hosts on two ports share a cookie name, as a browser sends
# one cookie to every port of a host: a login in demo mode on one must not be
# a login on the other, which checks real passwords. Servers that name the
# same realm share sessions on purpose; sessions express-session wrote (no
# realm) are guests unless a realm adopts them.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use POSIX qw(strftime);
use SDTest qw(use_vhost login cookie_value session_id mc_get mc_set sign_id realm);

plan tests => 20;

my $secret = 'apache-test only: 3c5a0f8e9d2b4e6f8a1c3e5d7f9b2d4e';

sub foreign_logged {
    open my $fh, '<', Apache::Test::vars('t_logs') . '/error_log' or return 0;
    return scalar grep { /SD00312: session of realm/ } <$fh>;
}

# --- demo mode next to real passwords
use_vhost('sd_realm_demo');
my $demo_realm = realm();
my $res = login('alice', 'certainly not her password');
is($res->code, 302, 'demo mode: alice logs in with any password');
my $value = cookie_value($res);
my $id = session_id($value);
my $cookie = "realm.sid=$value";
my (undef, $stored) = SDTest::mc_get_session($id);
like($stored, qr/"sessiondemo":\{"realm":"\Q$demo_realm\E"/, 'the stored session records its realm');
like($stored, qr/"sessiondemo":\{[^}]*"login":"demo"\}/, '... and that its login was a demo one (any password)');

my $logged = foreign_logged();
use_vhost('sd_realm_file');
isnt(realm(), $demo_realm, 'two virtual hosts are two realms by default');
is(GET('/protected', Cookie => $cookie)->code, 401,
   'the demo-mode session is a guest on the virtual host with real passwords');
like(GET('/', Cookie => $cookie)->content, qr{Name:</strong> Guest</p>}, '... its home page shows a guest');
$res = POST('/add-to-cart', [item => 'x'], Cookie => $cookie);
is($res->code, 200, '... a cart there works');
isnt(session_id(cookie_value($res)), $id, '... as a new session, not a write into the other realm\'s');
$res = POST('/logout', content => '', Cookie => $cookie);
is($res->code, 302, 'logging out there answers as usual');
ok(!grep({ /^realm\.sid=;/ } $res->header('Set-Cookie')), '... but does not expire the other realm\'s cookie');
my (undef, $after) = SDTest::mc_get_session($id);
is($after, $stored, "the other realm's stored session is untouched: not written, not deleted");
ok(foreign_logged() > $logged, 'the ignored session is logged at debug level (SD00312)');
use_vhost('sd_realm_demo');
is(GET('/protected', Cookie => $cookie)->code, 200, 'the session still works in its own realm');

# --- one realm on purpose
use_vhost('sd_shared_long');
$res = login('bea');
my $shared = 'shared.sid=' . cookie_value($res);
use_vhost('sd_shared_short');
is(GET('/protected', Cookie => $shared)->code, 200, 'SessionDemoRealm: two ports of one realm share the session');

# --- sessions express-session wrote have no realm
my $express_id = 'ExpressWroteThis0123456789abcdef';
my $later = strftime('%Y-%m-%dT%H:%M:%S.000Z', gmtime(time + 3600));
my $plain = qq({"cookie":{"originalMaxAge":86400000,"expires":"$later","httpOnly":true,"path":"/"},)
          . qq("isLoggedIn":true,"username":"carl","loginTime":"2026-01-01T00:00:00.000Z","visitCount":0});
SDTest::mc_set_session($express_id, 2, 600, $plain);
my $signed = sign_id($express_id, $secret);
use_vhost(undef);
is(GET('/protected', Cookie => "connect.sid=$signed")->code, 401,
   'a session without a realm is a guest by default (SessionDemoRealmless Guest)');
use_vhost('sd_adopt');
my $adopt_realm = realm();
is(GET('/protected', Cookie => "adopt.sid=$signed")->code, 200, 'SessionDemoRealmless Adopt serves it');
like(GET('/', Cookie => "adopt.sid=$signed")->content, qr{Name:</strong> carl</p>}, '... as its user');
(undef, $stored) = SDTest::mc_get_session($express_id);
like($stored, qr/"sessiondemo":\{"realm":"\Q$adopt_realm\E"/, '... and stamps it with its realm on the next write');
like($stored, qr/^\{"cookie":\{"originalMaxAge":86400000,/, '... keeping express-session\'s shape');
use_vhost(undef);
is(GET('/protected', Cookie => "connect.sid=$signed")->code, 401, 'after which other realms no longer take it');
