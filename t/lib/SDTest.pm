package SDTest;
# Helpers shared by the mod_sessiondemo Apache::Test files: a cookie-jar
# client that does not follow redirects and cookie parsing; raw memcached
# access and cookie signing come from tests/lib/SDEnv.pm, re-exported here.
use strict;
use warnings;
use Exporter 'import';
use File::Basename ();
use lib File::Basename::dirname(__FILE__) . '/../../tests/lib';
use SDEnv qw(env_sh mc_get mc_set mc_stats mc_command mc_ttl sign_id);
use HTTP::Cookies ();
use Apache::TestRequest ();

our @EXPORT_OK = qw(new_client env_sh mc_get mc_set mc_stats mc_command mc_ttl session_id
                    set_cookie_of cookie_value login sign_id use_vhost);

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

1;
