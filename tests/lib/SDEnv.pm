# SPDX-License-Identifier: Apache-2.0
package SDEnv;
# What the Perl code (the Apache::Test files, bench/bench.pl) shares: a door
# to tests/lib/env.sh, which starts and stops every process (Perl starts none
# itself), the one raw memcached client, and express-session's cookie signing.
use strict;
use warnings;
use Exporter 'import';
use Cwd ();
use File::Basename ();
use IO::Socket::INET ();

our @EXPORT_OK = qw(env_sh mc_socket mc_get mc_set mc_command mc_ttl mc_stats sign_id);
our $TOP = Cwd::abs_path(File::Basename::dirname(__FILE__) . '/../..');
# The memcached the mc_* functions talk to: the suite's, unless set.
our $MC_PORT;

# env_sh(SCRIPT): runs SCRIPT (verbs of tests/lib/env.sh) in bash; its
# output, chomped, or undef if it failed.
sub env_sh {
    my ($script) = @_;
    local $ENV{SD_TOP} = $TOP;
    open(my $fh, '-|', 'bash', '-c', '. "$SD_TOP/tests/lib/env.sh" && ' . $script) or return undef;
    my $out = do { local $/; <$fh> } // '';
    close $fh or return undef;
    chomp $out;
    return $out;
}

sub mc_socket {
    my $port = $MC_PORT // $ENV{MEMCACHED_PORT} or die "no memcached port (MEMCACHED_PORT)";
    return IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp', Timeout => 3)
        // die "cannot reach memcached on $port: $!";
}

# Raw "get": returns (flags, data) or () on a miss.
sub mc_get {
    my ($key) = @_;
    my $s = mc_socket();
    print $s "get $key\r\n";
    my $line = <$s>;
    return () if !defined $line || $line =~ /^END/;
    my (undef, undef, $flags, $bytes) = split ' ', $line;
    my $data = '';
    read($s, $data, $bytes + 2);
    $data =~ s/\r\n\z//;
    return ($flags, $data);
}

sub mc_set {
    my ($key, $flags, $ttl, $data) = @_;
    my $s = mc_socket();
    print $s "set $key $flags $ttl " . length($data) . "\r\n$data\r\n";
    my $line = <$s>;
    return defined $line && $line =~ /^STORED/;
}

# One command, its first reply line.
sub mc_command {
    my ($cmd) = @_;
    my $s = mc_socket();
    print $s "$cmd\r\n";
    my $line = <$s>;
    $line =~ s/\r\n\z// if defined $line;
    return $line;
}

# Remaining TTL of a key in seconds (memcached 1.6 meta get), -1 for
# "never expires", undef on a miss.
sub mc_ttl {
    my ($key) = @_;
    my $line = mc_command("mg $key t");
    return undef unless defined $line && $line =~ /^HD.* t(-?\d+)/;
    return $1;
}

sub mc_stats {
    my $s = mc_socket();
    print $s "stats\r\n";
    my %stats;
    while (my $line = <$s>) {
        last if $line =~ /^END/;
        $stats{$1} = $2 if $line =~ /^STAT (\S+) (\S+)/;
    }
    return \%stats;
}

# A cookie value for an ID, signed the way express-session does (URL-encoded
# "s:<id>.<HMAC-SHA256 base64>"), for forged, rotated and preloaded sessions.
sub sign_id {
    my ($id, $secret) = @_;
    require Digest::SHA;
    my $sig = Digest::SHA::hmac_sha256_base64($id, $secret);
    $sig =~ s/=+\z//;
    (my $v = "s:$id.$sig") =~ s{([^A-Za-z0-9\-_.!~*'()])}{sprintf '%%%02X', ord $1}ge;
    return $v;
}

1;
