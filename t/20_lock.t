# No lost updates: parallel requests of ONE session (8 clients x 50 cart
# additions, and parallel views) all count, thanks to the per-session lock.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use JSON::PP ();
use LWP::UserAgent ();
use SDTest qw(use_vhost login cookie_value session_id mc_get);

plan tests => 6;

use_vhost('sd_lock');
my $res = login('yuri');
my $cookie = 'lock.sid=' . cookie_value($res);
GET '/';   # the flash is consumed; visitCount is now 1
my $base = 'http://' . Apache::TestRequest::hostport();

# Runs $per requests in each of $clients processes at once; returns the
# number of non-2xx answers.
sub in_parallel {
    my ($clients, $per, $make) = @_;
    my @pids;
    for my $c (1 .. $clients) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            my $ua = LWP::UserAgent->new(timeout => 60, keep_alive => 1);
            my $bad = 0;
            for my $i (1 .. $per) {
                my $r = $ua->request($make->($c, $i));
                next if $r->is_success;
                $bad++;
                print STDERR "# client $c request $i: ", $r->status_line, "\n";
            }
            exit($bad > 250 ? 250 : $bad);
        }
        push @pids, $pid;
    }
    my $bad = 0;
    for (@pids) { waitpid($_, 0); $bad += $? >> 8 }
    return $bad;
}

my $failed = in_parallel(8, 50, sub {
    my ($c, $i) = @_;
    return HTTP::Request->new(POST => "$base/add-to-cart",
        ['Content-Type' => 'application/x-www-form-urlencoded', Cookie => $cookie],
        "item=c$c-$i");
});
is($failed, 0, '400 concurrent add-to-cart requests all answered 200');
my $items = JSON::PP::decode_json(GET('/cart', Cookie => $cookie)->content)->{items};
is(scalar @$items, 400, 'all 400 items are in the cart (no lost update)');
my %seen = map { $_ => 1 } @$items;
is(scalar keys %seen, 400, '... each exactly once');

$failed = in_parallel(8, 25, sub {
    return HTTP::Request->new(GET => "$base/", [Cookie => $cookie]);
});
is($failed, 0, '200 concurrent views answered 200');
my (undef, $data) = mc_get('sess:' . session_id(cookie_value($res)));
is(JSON::PP::decode_json($data)->{visitCount}, 201, 'every concurrent view was counted');
ok(!scalar(() = mc_get(SDTest::lock_key('sess:', session_id(cookie_value($res))))),
   'no lock is left behind');
