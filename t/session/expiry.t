# SPDX-License-Identifier: Apache-2.0
# Lifetimes: SessionDemoMaxAge (idle, sliding with activity), the memcached
# TTL that goes with it, and SessionDemoAbsoluteTimeout (hard cap).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use HTTP::Date qw(str2time);
use Time::HiRes qw(sleep time);
use SDTest qw(use_vhost login cookie_value session_id mc_get mc_ttl);

plan tests => 14;

# Default vhost: 1 day.
use_vhost(undef);
my $res = login('grace');
my $id = session_id(cookie_value($res));
my ($expires) = join("\n", $res->header('Set-Cookie')) =~ /Expires=([^;]+)/;
ok(abs(str2time($expires) - time - 86400) <= 2, 'default cookie Expires is 24 h ahead');
my $ttl = mc_ttl(SDTest::store_key($id));
ok(defined $ttl && $ttl > 86390 && $ttl <= 86400, "memcached TTL matches SessionDemoMaxAge ($ttl s)");

# SessionDemoMaxAge 3: sliding idle expiry. (memcached counts whole
# seconds, so an item can go up to 1 s early: the margins allow for it.)
use_vhost('sd_short');
$res = login('heidi');
$id = session_id(cookie_value($res));
($expires) = join("\n", $res->header('Set-Cookie')) =~ /Expires=([^;]+)/;
ok(abs(str2time($expires) - time - 3) <= 1, 'cookie Expires follows SessionDemoMaxAge 3');
$ttl = mc_ttl(SDTest::store_key($id));
ok(defined $ttl && $ttl >= 2 && $ttl <= 3, "memcached TTL is 3 s ($ttl)");
my $alive = 1;
for (1 .. 5) {
    sleep 1;
    $alive &&= GET('/protected')->code == 200;
}
ok($alive, 'activity every second keeps a 3 s session alive for 5 s');
sleep 4.2;
$res = GET '/protected';
is($res->code, 401, 'idle for longer than SessionDemoMaxAge: logged out');
ok(!scalar(() = SDTest::mc_get_session($id)), 'the expired session is gone from memcached');

# SessionDemoAbsoluteTimeout 3 with MaxAge 60.
use_vhost('sd_absolute');
my $t0 = time;
$res = login('ivan');
$id = session_id(cookie_value($res));
($expires) = join("\n", $res->header('Set-Cookie')) =~ /Expires=([^;]+)/;
ok(str2time($expires) - $t0 <= 4, 'cookie Expires never goes past the absolute timeout');
$ttl = mc_ttl(SDTest::store_key($id));
ok(defined $ttl && $ttl <= 3, "memcached TTL capped by the absolute timeout ($ttl s)");
my ($flags, $data) = SDTest::mc_get_session($id);
like($data, qr/"sessiondemo":\{[^}]*"created":\d{13}\b/, 'creation time stored with the session');
sleep 1;
is(GET('/protected')->code, 200, 'still logged in after 1 s');
sleep 1;
is(GET('/protected')->code, 200, 'still logged in after 2 s, active');
sleep 1.5;
is(GET('/protected')->code, 401, 'logged out after 3.5 s although active');

# A cookie for a session past SessionDemoAbsoluteTimeout that memcached
# still holds (long TTL) is refused by the server-side check.
SDTest::mc_set_session($id, 2, 600, $data);
is(GET('/protected', Cookie => 'abs.sid=' . SDTest::sign_id($id, 'apache-test only: 3c5a0f8e9d2b4e6f8a1c3e5d7f9b2d4e'))->code,
   401, 'a session past its absolute timeout is refused even if memcached keeps it');
