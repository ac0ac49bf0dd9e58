# SPDX-License-Identifier: Apache-2.0
# Only the routes, the gate and the status handler (with its admin actions,
# admin.c, and the reply plumbing they share, http.c) speak HTTP: the units
# below them answer their own results (include/sd_result.h), so no HTTP
# status, nor httpd's OK, DECLINED or DONE, appears in them.
# server_status.c is mod_status's hook and answers it in the hook's protocol.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);

my $top = Apache::Test::vars()->{top_dir};
my %speaks_http = map { $_ => 1 }
    qw(src/app/routes.c src/auth/gate.c src/admin/status.c src/admin/admin.c src/app/http.c
       include/sd_http.h include/sd_gate.h include/sd_status.h include/sd_admin.h);
my %hook_only = ('src/admin/server_status.c' => qr/^\s*return OK;\s*$/);

my @files = grep { !$speaks_http{$_} } map { s{^\Q$top\E/}{}r } glob("$top/src/*/*.c $top/include/*.h");
plan tests => 1 + @files;

ok(@files >= 40, scalar(@files) . ' units and headers below the routes, the gate and the status handler');
for my $f (sort @files) {
    open my $fh, '<', "$top/$f" or die "$f: $!";
    my @found;
    while (my $line = <$fh>) {
        next if $hook_only{$f} && $line =~ $hook_only{$f};
        push @found, "$.: $1" while $line =~ /\b(HTTP_[A-Z_]+|OK|DECLINED|DONE)\b/g;
    }
    is_deeply(\@found, [], "$f answers its own results, no HTTP status");
}
