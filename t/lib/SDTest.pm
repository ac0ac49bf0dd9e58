# SPDX-License-Identifier: Apache-2.0
package SDTest;
# Helpers shared by the mod_sessiondemo Apache::Test files: a cookie-jar
# client that does not follow redirects and cookie parsing; raw memcached
# access and cookie signing come from tests/lib/SDEnv.pm, re-exported here.
use strict;
use warnings;
use Exporter 'import';
use File::Basename ();
use lib File::Basename::dirname(__FILE__) . '/../../tests/lib';
use SDEnv qw(env_sh mc_get mc_set mc_stats mc_command mc_ttl sign_id sealed_name seal_record
             open_record);
use HTTP::Cookies ();
use LWP::UserAgent ();
use Apache::Test ();
use Apache::TestRequest ();

our @EXPORT_OK = qw(new_client env_sh mc_get mc_set mc_stats mc_command mc_ttl session_id
                    set_cookie_of cookie_value login sign_id use_vhost realm in_realm
                    lock_key config_test in_parallel store_key mc_get_session
                    mc_set_session seal_record log_size log_since @TEST_SECRETS);

# The suite's error_log: its size now, and what was written to it since
# an earlier size (what one step of a test logged).
sub error_log_path { Apache::Test::vars('serverroot') . '/logs/error_log' }
sub log_size { -s error_log_path() // 0 }
sub log_since {
    my ($from) = @_;
    open my $fh, '<', error_log_path() or return '';
    seek $fh, $from, 0;
    local $/;
    return <$fh> // '';
}

# t/conf's SessionDemoSecret: the first signs and seals, both verify and open.
our @TEST_SECRETS = ('apache-test only: 3c5a0f8e9d2b4e6f8a1c3e5d7f9b2d4e',
                     'retired test secret, verify only');

# The memcached key of record $name (a session ID) on a server with the
# default SessionDemoStoreFormat Sealed: prefix ('sess:' unless given) and
# the keyed hash of the name under $secret (the first test secret).
sub store_key {
    my ($name, $prefix, $secret) = @_;
    return ($prefix // 'sess:') . sealed_name($secret // $TEST_SECRETS[0], $name);
}

# A session's stored record, opened: (2, JSON text) as express-session's
# format would hold it, () on a miss, and the raw (flags, value) when it
# does not open.
sub mc_get_session {
    my ($id, $prefix) = @_;
    my $key = store_key($id, $prefix);
    my ($flags, $value) = mc_get($key);
    return () unless defined $flags;
    my $plain = $flags == 0 ? open_record(\@TEST_SECRETS, $key, $value) : undef;
    return defined $plain ? (2, $plain) : ($flags, $value);
}

# Writes a session's record as the module would: sealed with the first
# secret (flags 2, JSON); other flags write $data as is (never opens).
sub mc_set_session {
    my ($id, $flags, $ttl, $data, $prefix) = @_;
    my $key = store_key($id, $prefix);
    return $flags == 2 ? mc_set($key, 0, $ttl, seal_record($TEST_SECRETS[0], $key, $data, $ttl))
                       : mc_set($key, $flags, $ttl, $data);
}

# `apache2 -t` on a minimal server in $dir (event MPM, the module loaded
# from the build) plus $body; returns (exit status, output).
sub config_test {
    my ($dir, $body) = @_;
    my $vars = Apache::Test::vars();
    open my $fh, '>', "$dir/httpd.conf" or die "$dir/httpd.conf: $!";
    print $fh <<"CONF";
ServerRoot "$dir"
ServerName localhost
PidFile "$dir/httpd.pid"
DefaultRuntimeDir "$dir"
ErrorLog "$dir/error_log"
Listen 127.0.0.1:1
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
$body
CONF
    close $fh;
    my $out = `$vars->{httpd} -t -f "$dir/httpd.conf" 2>&1`;
    return ($? >> 8, $out);
}

# A fresh client: its own cookie jar, redirects not followed so 302s and
# their Set-Cookie can be asserted.
sub new_client {
    my $jar = HTTP::Cookies->new;
    Apache::TestRequest::user_agent(reset => 1, cookie_jar => $jar,
                                    requests_redirectable => 0, keep_alive => 1);
    return $jar;
}

# Points the shared client at one <VirtualHost name> of extra.conf.in, with
# a fresh cookie jar.
sub use_vhost {
    my ($name) = @_;
    # undef: back to the main server.
    $Apache::TestRequest::Module = $name;
    return new_client();
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

# The key of a session's lock: its data key (store_key) in braces (the hash
# tag that places it with the data), the realm's tag (APR's default string
# hash, as src/session/session_lock.c computes it), ".lock".
sub lock_key {
    my ($prefix, $id, $realm) = @_;
    $realm //= realm();
    my $h = 0;
    $h = ($h * 33 + ord) & 0xffffffff for split //, $realm;
    return sprintf '{%s}.%08x.lock', store_key($id, $prefix), $h;
}

# Runs $per requests ($make->($client, $i) gives each) in each of $clients
# processes at once; returns the number of answers that were not 2xx (or
# that $opt{ok} refused). $opt{keep_alive} 0: a connection per request.
sub in_parallel {
    my ($clients, $per, $make, %opt) = @_;
    my $ok = $opt{ok} // sub { $_[0]->is_success };
    my @pids;
    for my $c (1 .. $clients) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            my $ua = LWP::UserAgent->new(timeout => 60, keep_alive => $opt{keep_alive} // 1);
            my $bad = 0;
            for my $i (1 .. $per) {
                my $r = $ua->request($make->($c, $i));
                next if $ok->($r);
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

1;
