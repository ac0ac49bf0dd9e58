# SPDX-License-Identifier: Apache-2.0
# The admin status page (SetHandler sessiondemo-status): memcached state,
# this child's counters, the effective configuration, never the secrets.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST PUT);
use JSON::PP ();
use SDTest qw(use_vhost login);

plan tests => 17;

use_vhost(undef);
login('wendy');
GET '/';

my $res = GET '/sessiondemo-status?json';
is($res->code, 200, 'status JSON answers 200');
like($res->header('Content-Type'), qr{^application/json}, '... as JSON');
my $s = JSON::PP::decode_json($res->content);
is(scalar @{ $s->{memcached} }, 1, 'one memcached server listed');
is($s->{memcached}[0]{address}, "127.0.0.1:$ENV{MEMCACHED_PORT}", '... with its address');
is($s->{memcached}[0]{state}, 'up', '... up');
like($s->{memcached}[0]{version}, qr/^1\.\d+\.\d+/, '... with its version');
unlike($s->{memcached}[0]{version}, qr/[\r\n]/, '... without the reply\'s CR');
ok($s->{memcached}[0]{items} >= 1, '... and its item count');
ok(defined $s->{memcached}[0]{hit_rate}, '... and hit rate');
for my $counter (qw(sessions_created sessions_loaded sessions_saved sessions_destroyed
                    sessions_expired bad_signatures store_errors)) {
    die "missing $counter" unless exists $s->{counters}{$counter};
}
ok(1, 'every counter is present');
is($s->{config}{SessionDemoMaxAge}, 86400, 'effective config shown');
is($s->{config}{SessionDemoSecret}, '2 configured (hidden)', 'secrets are counted, not shown');
unlike($res->content, qr/apache-test only|retired test secret/, 'no secret value anywhere in JSON');

$res = GET '/sessiondemo-status';
like($res->header('Content-Type'), qr{^text/html}, 'status HTML');
like($res->content, qr{<h2>memcached 127\.0\.0\.1:\d+</h2>}, 'HTML lists the server');
unlike($res->content, qr/apache-test only|retired test secret/, 'no secret value anywhere in HTML');
is(PUT('/sessiondemo-status', content => '')->code, 405, 'PUT to the status page: 405');
