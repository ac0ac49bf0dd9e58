# SPDX-License-Identifier: Apache-2.0
# The shopping cart: JSON in and out, works for guests, survives navigation,
# and bad input gets clear 4xx answers.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use SDTest qw(new_client mc_get cookie_value session_id login);
use JSON::PP ();

plan tests => 23;

new_client();
my $res = login('dave');
ok(session_id(cookie_value($res)), 'logged in');

$res = POST '/add-to-cart', [item => 'apple'];
is($res->code, 200, 'add-to-cart answers 200');
like($res->header('Content-Type'), qr{^application/json}, '... as JSON');
is($res->content, '{"success":true}', '... {"success":true}');
POST '/add-to-cart', [item => 'pear & plum'];
GET '/profile';
POST '/add-to-cart', content => 'item=%C3%A9clair', 'Content-Type' => 'application/x-www-form-urlencoded';
$res = GET '/cart';
is($res->code, 200, 'GET /cart answers 200');
is_deeply(JSON::PP->new->utf8->decode($res->content), { items => ['apple', 'pear & plum', "\x{e9}clair"] },
          'the cart keeps every item, in order, across pages');
$res = GET '/';
like($res->content, qr{Name:</strong> dave}, 'still logged in with a cart');

# Bad input.
$res = POST '/add-to-cart', [item => ''];
is($res->code, 400, 'empty item is 400');
is_deeply(JSON::PP::decode_json($res->content), { success => JSON::PP::false, error => 'item is required' },
          '... with a JSON error');
$res = POST '/add-to-cart', [other => 'x'];
is($res->code, 400, 'missing item is 400');
$res = POST '/add-to-cart', [item => 'x' x 129];
is($res->code, 400, 'over-long item is 400');
like($res->content, qr{"error":"item is longer than 128 bytes"}, '... saying why');
$res = POST '/add-to-cart', content => '{"item":"x"}', 'Content-Type' => 'application/json';
is($res->code, 415, 'a JSON body is 415');
like($res->content, qr{application/x-www-form-urlencoded}, '... naming the expected type');
$res = POST '/add-to-cart', content => 'item=' . ('y' x 9000),
    'Content-Type' => 'application/x-www-form-urlencoded';
is($res->code, 413, 'a body over the limit is 413');
like($res->header('Content-Type'), qr{^application/json}, '... as JSON');
$res = POST '/add-to-cart', content => 'item=%E9clair', 'Content-Type' => 'application/x-www-form-urlencoded';
is($res->code, 400, 'an item that is not UTF-8 is 400');
$res = POST '/add-to-cart', content => "item=a%00b",
    'Content-Type' => 'application/x-www-form-urlencoded';
is($res->code, 400, 'a NUL byte in the form is 400');

$res = GET '/cart';
is(scalar @{ JSON::PP->new->decode($res->content)->{items} }, 3, 'rejected requests changed nothing');

# The cart cap.
new_client();
my $full = 1;
for my $i (1 .. 100) {
    $res = POST '/add-to-cart', [item => "i$i"];
    $full = 0 if $res->code != 200;
}
ok($full, '100 items fit');
$res = POST '/add-to-cart', [item => 'one too many'];
is($res->code, 400, 'item 101 is refused with 400');
like($res->content, qr{the cart is full}, '... saying the cart is full');

# A guest cart is a real session, kept in memcached.
$res = GET '/cart';
is(scalar @{ JSON::PP->new->decode($res->content)->{items} }, 100, 'guest cart persisted in memcached');
