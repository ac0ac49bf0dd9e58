# SPDX-License-Identifier: Apache-2.0
# Input bounds as directives: body size (413), username and item length and
# cart size (400), each with a clear HTML or JSON error.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use JSON::PP ();
use SDTest qw(use_vhost login cookie_value);

plan tests => 12;

use_vhost('sd_limits');
my $res = POST '/login', [username => 'abcdef', password => 'pw'];
is($res->code, 400, 'username over SessionDemoMaxUsernameLength 5: 400');
like($res->content, qr{could not be understood}, '... readable page');
$res = login('abcde');
is($res->code, 302, 'username of exactly 5 bytes logs in');

$res = POST '/add-to-cart', [item => 'abcd'];
is($res->code, 400, 'item over SessionDemoMaxItemLength 3: 400');
is(JSON::PP::decode_json($res->content)->{error}, 'item is longer than 3 bytes', '... JSON names the limit');
is(POST('/add-to-cart', [item => 'abc'])->code, 200, 'item of 3 bytes accepted');
is(POST('/add-to-cart', [item => 'x'])->code, 200, 'second item accepted');
$res = POST '/add-to-cart', [item => 'y'];
is($res->code, 400, 'third item over SessionDemoMaxCartItems 2: 400');
is(JSON::PP::decode_json($res->content)->{error}, 'the cart is full (2 items)', '... JSON says the cart is full');

$res = POST '/add-to-cart', content => 'item=a&pad=' . ('p' x 100), 'Content-Type' => 'application/x-www-form-urlencoded';
is($res->code, 413, 'body over SessionDemoMaxBodySize 100: 413');

use_vhost(undef);
$res = POST '/add-to-cart', content => 'item=a&pad=' . ('p' x (1024 * 1024)), 'Content-Type' => 'application/x-www-form-urlencoded';
is($res->code, 413, 'a 1 MB body on the default limit: 413');
$res = POST '/login', content => 'username=a&password=' . ('p' x 9000), 'Content-Type' => 'application/x-www-form-urlencoded';
is($res->code, 413, 'an oversized login form: 413 (HTML)');
