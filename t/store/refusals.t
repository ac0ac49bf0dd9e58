# SPDX-License-Identifier: Apache-2.0
# memcached refusing a write must never cost the session: memcached drops
# the old copy of a key when a set fails. Against a 2 KiB item size limit
# (-I 2k) a change that would not fit is refused before it is written (413,
# the session intact with every acknowledged item); against a full memcached
# that does not evict (-M), a refused write is undone with the copy read.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use IO::Socket::INET ();
use JSON::PP ();
use SDTest qw(use_vhost login cookie_value);

plan tests => 12;

# --- -I 2k
use_vhost('sd_small');
my $res = login('ida');
is($res->code, 302, 'logged in on a memcached with a 2 KiB item limit');
my $cookie = 'small.sid=' . cookie_value($res);
my (@acked, $refused);
for my $i (1 .. 40) {
    my $item = sprintf('item %02d ', $i) . ('x' x 100);
    $res = POST '/add-to-cart', [item => $item], Cookie => $cookie;
    if ($res->code == 200) { push @acked, $item; next }
    $refused = $res;
    last;
}
ok(@acked >= 8, scalar(@acked) . ' items were added before the session was full');
ok($refused && $refused->code == 413, 'the change that would not fit answers 413 (not 503)')
    or diag($refused ? $refused->status_line : 'never refused');
like($refused ? $refused->header('Content-Type') : '', qr{^application/json}, '... as JSON');
like($refused ? $refused->content : '', qr/"success":false,"error":"This change would make your session larger/,
     '... saying why');
is(GET('/protected', Cookie => $cookie)->code, 200, 'the user is still logged in');
my $cart = JSON::PP::decode_json(GET('/cart', Cookie => $cookie)->content)->{items};
is_deeply($cart, \@acked, 'every acknowledged item is still in the cart');

# --- -M, full
my $full_port = $ENV{SD_FULL_MC_PORT} or die 'SD_FULL_MC_PORT not set';
use_vhost('sd_full');
$res = login('jon');
is($res->code, 302, 'logged in on a memcached that does not evict');
$cookie = 'full.sid=' . cookie_value($res);
is(POST('/add-to-cart', [item => 'first'], Cookie => $cookie)->code, 200, 'a first item is added');

# Fill every slab class from about the session's size up until memcached
# refuses, so the new value finds no room while the small lock items still
# do (the change gets past the lock, and its write is what fails).
my $mc = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$full_port", Timeout => 5) or die $!;
my $filled = 0;
for (my $size = 300; $size <= 60000; $size = int($size * 1.2) + 1) {
    for my $i (1 .. 100000) {
        print $mc "set fill-$size-$i 0 0 $size\r\n", 'f' x $size, "\r\n";
        my $line = <$mc>;
        last unless $line =~ /^STORED/;
        $filled++;
    }
}
diag("$filled filler items");
my $before = GET('/cart', Cookie => $cookie)->content;
$res = POST '/add-to-cart', [item => 'y' x 120], Cookie => $cookie;
is($res->code, 503, 'a write memcached refuses (out of memory) answers 503, not a silent loss');
is(GET('/protected', Cookie => $cookie)->code, 200, '... and the session is still there');
is(GET('/cart', Cookie => $cookie)->content, $before, '... as it was before the refused change');
