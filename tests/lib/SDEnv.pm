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

our @EXPORT_OK = qw(env_sh mc_socket mc_get mc_set mc_command mc_ttl mc_stats sign_id
                    sealed_name seal_record open_record);
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

# SessionDemoStoreFormat Sealed (docs/interop.md, "The sealed format"), as
# an independent implementation in Perl (CryptX): the keys memcached holds,
# and records opened and sealed the way the module does.
my %derived;
sub _derive {
    my ($secret, $info) = @_;
    require Crypt::KeyDerivation;
    # No salt: HKDF then keys its extract step with HashLen zeros. Kept per
    # secret: bench/bench.pl seals a million records.
    return $derived{"$info\0$secret"} //= Crypt::KeyDerivation::hkdf($secret, '', 'SHA256', 32, $info);
}

# base64url(HMAC-SHA256(key-hash key of $secret, $name)): what a session ID
# (or an index's name) is called in memcached keys.
sub sealed_name {
    my ($secret, $name) = @_;
    require Crypt::Mac::HMAC;
    return Crypt::Mac::HMAC::hmac_b64u('SHA256', _derive($secret, 'sessiondemo store key v1'), $name);
}

# The sealed value of the JSON text $json under memcached key $key, with
# the clear header taken from the record (its "sessiondemo" member) and
# $ttl (seconds the copy lives).
sub seal_record {
    my ($secret, $key, $json, $ttl) = @_;
    require Crypt::AuthEnc::GCM;
    require Crypt::Misc;
    require Crypt::PRNG;
    my ($gen) = $json =~ /"sessiondemo":\{[^{}]*"gen":(\d+)/;
    my ($saved) = $json =~ /"sessiondemo":\{[^{}]*"saved":(\d+)/;
    my $ended = $json =~ /"sessiondemo":\{[^{}]*"ended":true/ ? 1 : 0;
    my $header = sprintf 'SD1.%d.%d.%d.%d.', $gen // 0, $ended, $saved // 0, time + ($ttl // 86400);
    my $nonce = Crypt::PRNG::random_bytes(12);
    my ($ct, $tag) = Crypt::AuthEnc::GCM::gcm_encrypt_authenticate(
        'AES', _derive($secret, 'sessiondemo store seal v1'), $nonce, "$key\0$header", $json);
    return $header . Crypt::Misc::encode_b64u($nonce . $ct . $tag);
}

# The JSON text of a sealed value read under $key, opened with any of
# @$secrets; undef when it does not open.
sub open_record {
    my ($secrets, $key, $value) = @_;
    require Crypt::AuthEnc::GCM;
    require Crypt::Misc;
    return undef unless defined $value && $value =~ /\A(SD1\.\d+\.[01]\.\d+\.\d+\.)([A-Za-z0-9_-]+)\z/;
    my ($header, $body) = ($1, $2);
    my $raw = Crypt::Misc::decode_b64u($body);
    return undef unless defined $raw && length($raw) >= 28;
    my ($nonce, $ct, $tag) = (substr($raw, 0, 12), substr($raw, 12, length($raw) - 28), substr($raw, -16));
    for my $secret (@$secrets) {
        my $plain = Crypt::AuthEnc::GCM::gcm_decrypt_verify(
            'AES', _derive($secret, 'sessiondemo store seal v1'), $nonce, "$key\0$header", $ct, $tag);
        return $plain if defined $plain;
    }
    return undef;
}

1;
