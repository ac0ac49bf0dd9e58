# SPDX-License-Identifier: Apache-2.0
# With the default directives, one session's parallel requests are served,
# not refused: one browser's HTTP/2 connection with 32 streams at once (all
# in one child, on mod_http2's workers) and 24 HTTP/1.1 connections, every
# visit counted. 24 is event's 25 threads less one: however the MPM spreads
# them over its children, none can hold more waiters than the limit. With
# more, a child handed 25 while the holder runs in another refuses one. t/session/lock_waiters.t keeps the other side: 300
# requests with one cookie still cannot keep other visitors waiting.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);
use SDTest qw(use_vhost login cookie_value log_since log_size);

my ($h2load) = grep { -x } map { "$_/h2load" } split /:/, $ENV{PATH};
# Not a skip: CI would count it as passed (make deps installs nghttp2-client).
if (!$h2load) {
    plan tests => 1;
    fail('h2load is installed (Debian: nghttp2-client)');
    exit;
}
plan tests => 8;

use_vhost('sd_parallel');
my $res = login('pia');
my $cookie = 'parallel.sid=' . cookie_value($res);
my $url = 'http://' . Apache::TestRequest::hostport() . '/';

sub visits {
    my ($count) = GET('/profile', Cookie => $cookie)->content =~ m{Visit Count:</strong> (\d+)};
    return $count // -1;
}

# h2load's summary: how many answers of each class, bounded in time.
sub load {
    my ($what, @args) = @_;
    my $out = `timeout 60 $h2load -n 320 -H 'Cookie: $cookie' @args $url 2>&1`;
    my %got = (proto => $out =~ /Application protocol: (\S+)/ ? $1 : '?');
    @got{qw(2xx 3xx 4xx 5xx)} = $out =~ /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/;
    diag("$what: $out") if ($got{'2xx'} // 0) != 320;
    note("$what: $1") if $out =~ /^(finished in .*)$/m;
    return \%got;
}

for my $case (['one HTTP/2 connection, 32 streams at once', 'h2c', '-c 1 -m 32'],
              ['24 HTTP/1.1 connections', 'http/1.1', '--h1 -c 24 -m 1']) {
    my ($what, $proto, $args) = @$case;
    my $before = visits();
    my $log = log_size();
    my $got = load($what, $args);
    is($got->{proto}, $proto, "$what: spoken as $proto");
    is($got->{'2xx'} // 0, 320, "$what: 320 requests, all 2xx ("
       . join(', ', map { ($got->{$_} // '?') . " $_" } qw(2xx 4xx 5xx)) . ')');
    is(visits() - $before, 320, "$what: every visit counted");
    my $refused = () = log_since($log) =~ /SD00310/g;
    is($refused, 0, '... and none of them refused (no SD00310 in the log)');
}
