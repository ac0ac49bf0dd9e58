# SPDX-License-Identifier: Apache-2.0
# Every log line the docs name is one the code writes: each SDnnnnn in
# README.md and docs/*.md (not docs/results/, which records past runs) is
# an SD_LOGNO(nnnnn) of the source, and where the docs quote its message
# (`SDnnnnn … words`), the quote's words are the message's, allowing one
# word for each value the message formats in.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);

my $top = Apache::Test::vars()->{top_dir};
sub slurp { my ($f) = @_; open my $fh, '<', $f or die "$f: $!"; local $/; <$fh> }

# The message of each number: the string literals that follow SD_LOGNO.
my %message;
for my $f (glob("$top/mod_sessiondemo.c $top/src/*/*.c")) {
    my $src = slurp($f);
    while ($src =~ /SD_LOGNO\((\d{5})\)\s*((?:"(?:[^"\\]|\\.)*"\s*)*)/g) {
        my ($n, $lits) = ($1, $2);
        $message{$n} .= join '', $lits =~ /"((?:[^"\\]|\\.)*)"/g;
        $message{$n} .= "\n";
    }
}

my (%named, @quotes);
for my $f (glob("$top/README.md $top/docs/*.md")) {
    (my $rel = $f) =~ s{^\Q$top\E/}{};
    my $text = slurp($f);
    $named{$1}{$rel} = 1 while $text =~ /\bSD(\d{5})\b/g;
    push @quotes, [$rel, $1, $2] while $text =~ /`SD(\d{5}):?\s+([^`]+)`/g;
}

plan tests => 2 + keys(%named) + @quotes;

ok(keys(%message) >= 100, scalar(keys %message) . ' numbered log lines in the source');
ok(keys(%named) >= 30, scalar(keys %named) . ' of them named in the docs');
for my $n (sort keys %named) {
    ok(exists $message{$n}, "SD$n (" . join(', ', sort keys %{ $named{$n} }) . ') is logged by the source');
}
for my $q (@quotes) {
    my ($file, $n, $quote) = @$q;
    my $msg = $message{$n} // '';
    my $values = () = $msg =~ /%[-0-9.]*(?:l|ll|z)?[a-zA-Z]|%" APR_\w+/g;
    my @missing = grep { index(lc $msg, lc $_) < 0 } $quote =~ /([A-Za-z][A-Za-z'-]{2,})/g;
    ok(@missing <= $values, "$file quotes SD$n as '$quote': the message says it ("
       . (@missing ? "words not in it: @missing; values it formats: $values" : 'every word') . ')');
}
