# SPDX-License-Identifier: Apache-2.0
# No lost updates: parallel requests of ONE session (8 clients x 50 cart
# additions, and parallel views) all count, thanks to the per-session lock,
# in memcached (Cluster) or in shared memory (Host).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use JSON::PP ();
use SDTest qw(use_vhost login cookie_value session_id mc_get in_parallel);

plan tests => 12;

# SessionDemoLock Cluster (the default: a lock key in memcached) and Host
# (shared memory of this httpd), the same load on each.
for my $mode (['sd_lock', 'lock.sid', 'Cluster'], ['sd_hostlock', 'hostlock.sid', 'Host']) {
    my ($vhost, $name, $lock) = @$mode;
    use_vhost($vhost);
    my $res = login('yuri');
    my $cookie = "$name=" . cookie_value($res);
    GET '/';   # the flash is consumed; visitCount is now 1
    my $base = 'http://' . Apache::TestRequest::hostport();

    my $failed = in_parallel(8, 50, sub {
        my ($c, $i) = @_;
        return HTTP::Request->new(POST => "$base/add-to-cart",
            ['Content-Type' => 'application/x-www-form-urlencoded', Cookie => $cookie],
            "item=c$c-$i");
    });
    is($failed, 0, "$lock: 400 concurrent add-to-cart requests all answered 200");
    my $items = JSON::PP::decode_json(GET('/cart', Cookie => $cookie)->content)->{items};
    is(scalar @$items, 400, "$lock: all 400 items are in the cart (no lost update)");
    my %seen = map { $_ => 1 } @$items;
    is(scalar keys %seen, 400, '... each exactly once');

    $failed = in_parallel(8, 25, sub {
        return HTTP::Request->new(GET => "$base/", [Cookie => $cookie]);
    });
    is($failed, 0, "$lock: 200 concurrent views answered 200");
    my (undef, $data) = SDTest::mc_get_session(session_id(cookie_value($res)));
    is(JSON::PP::decode_json($data)->{visitCount}, 201, "$lock: every concurrent view was counted");
    ok(!scalar(() = mc_get(SDTest::lock_key('sess:', session_id(cookie_value($res))))),
       "$lock: no lock key is left in memcached");
}
