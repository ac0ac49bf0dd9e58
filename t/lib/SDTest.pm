package SDTest;
# Helpers shared by the mod_sessiondemo Apache::Test files: a cookie-jar
# client that does not follow redirects, raw memcached access to inspect
# what the module stored, and cookie parsing.
use strict;
use warnings;
use Exporter 'import';
use IO::Socket::INET ();
use HTTP::Cookies ();
use Apache::TestRequest ();

our @EXPORT_OK = qw(new_client mc_get mc_set mc_stats mc_command mc_ttl session_id
                    set_cookie_of cookie_value login sign_id use_vhost realm in_realm
                    lock_key);

# A fresh client: its own cookie jar, redirects not followed so 302s and
# their Set-Cookie can be asserted.
sub new_client {
    my $jar = HTTP::Cookies->new;
    Apache::TestRequest::user_agent(reset => 1, cookie_jar => $jar,
                                    requests_redirectable => 0, keep_alive => 1);
    return $jar;
}

sub _mc {
    my $port = $ENV{MEMCACHED_PORT} or die "MEMCACHED_PORT not set";
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 3)
        or die "cannot reach memcached on $port: $!";
    return $s;
}

# Raw "get": returns (flags, data) or () on a miss.
sub mc_get {
    my ($key) = @_;
    my $s = _mc();
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
    my $s = _mc();
    print $s "set $key $flags $ttl " . length($data) . "\r\n$data\r\n";
    my $line = <$s>;
    return defined $line && $line =~ /^STORED/;
}

sub mc_command {
    my ($cmd) = @_;
    my $s = _mc();
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

# Points the shared client at one <VirtualHost name> of extra.conf.in, with
# a fresh cookie jar.
sub use_vhost {
    my ($name) = @_;
    # undef: back to the main server.
    $Apache::TestRequest::Module = $name;
    return new_client();
}

sub mc_stats {
    my $s = _mc();
    print $s "stats\r\n";
    my %stats;
    while (my $line = <$s>) {
        last if $line =~ /^END/;
        $stats{$1} = $2 if $line =~ /^STAT (\S+) (\S+)/;
    }
    return \%stats;
}

# All Set-Cookie headers of a response, joined.
sub set_cookie_of {
    my ($res) = @_;
    return join "\n", $res->header('Set-Cookie');
}

# The raw (URL-encoded) value of the session cookie in a response's
# Set-Cookie (any name unless one is given).
sub cookie_value {
    my ($res, $name) = @_;
    for my $h ($res->header('Set-Cookie')) {
        return $1 if defined $name ? $h =~ /^\Q$name\E=([^;]*)/ : $h =~ /^[^=]+=(s%3A[^;]*)/;
    }
    return undef;
}

# The session ID inside a Set-Cookie value ("s%3A<id>.<sig>").
sub session_id {
    my ($value) = @_;
    return undef unless defined $value && $value =~ /^s%3A([A-Za-z0-9_-]+)\./;
    return $1;
}

sub login {
    my ($user, $pass) = @_;
    return Apache::TestRequest::POST('/login', [username => $user, password => $pass // 'pw']);
}

# Signs an ID the way express-session does, for forged/rotated cookies.
sub sign_id {
    my ($id, $secret) = @_;
    require Digest::SHA;
    my $sig = Digest::SHA::hmac_sha256_base64($id, $secret);
    $sig =~ s/=+\z//;
    (my $v = "s:$id.$sig") =~ s{([^A-Za-z0-9\-_.!~*'()])}{sprintf '%%%02X', ord $1}ge;
    return $v;
}

# The realm a server stamps on its sessions by default: its ServerName and
# port, i.e. the host:port of the vhost selected with use_vhost.
sub realm {
    return Apache::TestRequest::hostport();
}

# A stored value (JSON text of an object) as that realm's module writes it:
# with the module's own member naming the realm.
sub in_realm {
    my ($json, $realm) = @_;
    $realm //= realm();
    $json =~ s/\}\s*\z/,"sessiondemo":{"realm":"$realm"}}/;
    return $json;
}

# The key of a session's lock: prefix, ID, the realm's tag (APR's default
# string hash, as src/session_lock.c computes it), ".lock".
sub lock_key {
    my ($prefix, $id, $realm) = @_;
    $realm //= realm();
    my $h = 0;
    $h = ($h * 33 + ord) & 0xffffffff for split //, $realm;
    return sprintf '%s%s.%08x.lock', $prefix, $id, $h;
}

1;
