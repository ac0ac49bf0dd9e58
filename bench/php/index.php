<?php
// SPDX-License-Identifier: Apache-2.0
// The PHP peer of `make bench` (bench/bench.pl): the routes the benchmark
// hits (GET /, GET /profile, POST /login, POST /add-to-cart), with PHP's own
// sessions in memcached (php-memcached, locking on), run by php-fpm behind
// httpd event (mod_proxy_fcgi). bench.pl sets the ini values; the pages come
// from the module's templates, compiled once into PHP files that OPcache
// keeps, as a PHP template engine would.

const MAX_USERNAME = 64, MAX_ITEM = 128, MAX_CART = 100;

// The module's Handlebars subset ({{a.b}}, {{#if}}..{{else}}..{{/if},
// {{! }}, {{> head|foot|style}}) as PHP source; $v is the view.
function sd_compile(string $src, array $partials): string {
    $src = preg_replace('/\{\{!--.*?--\}\}|\{\{![^}]*\}\}/s', '', $src);
    $src = preg_replace_callback('/\{\{>\s*(\w+)\s*\}\}/', fn($m) => $partials[$m[1]], $src);
    $path = fn($p) => '$v' . implode('', array_map(fn($s) => "['" . $s . "']", explode('.', $p)));
    $php = preg_replace_callback('/\{\{\s*(#if\s+[\w.]+|else|\/if|[\w.]+)\s*\}\}/', function ($m) use ($path) {
        $t = $m[1];
        if (str_starts_with($t, '#if')) return '<?php if (!empty(' . $path(trim(substr($t, 3))) . ')): ?>';
        if ($t === 'else') return '<?php else: ?>';
        if ($t === '/if') return '<?php endif; ?>';
        return '<?= sd_esc(' . $path($t) . ' ?? \'\') ?>';
    }, str_replace('<?', "<?= '<?' ?>", $src));
    return str_replace("?>\n", "?>\n\n", $php);   // PHP eats one newline after a closing tag
}

function sd_esc($x): string {
    if (is_bool($x)) return $x ? 'true' : 'false';
    return strtr((string)$x, ['&' => '&amp;', '<' => '&lt;', '>' => '&gt;', '"' => '&quot;',
                              "'" => '&#x27;', '`' => '&#x60;', '=' => '&#x3D;']);
}

function sd_render(string $name, array $v): void {
    $file = getenv('SD_PHP_CACHE') . "/$name.php";
    if (!is_file($file)) {
        $dir = getenv('SD_TEMPLATES');
        $p = ['style' => '<meta name="viewport" content="width=device-width, initial-scale=1">' . "\n<style>"
                         . file_get_contents("$dir/style.css") . '</style>'];
        foreach (['head', 'foot'] as $n) {
            $p[$n] = preg_replace('/\n$/', '', str_replace('{{> style}}', $p['style'], file_get_contents("$dir/$n.html")));
        }
        $tmp = "$file." . getmypid();
        file_put_contents($tmp, sd_compile(file_get_contents("$dir/$name.html"), $p));
        rename($tmp, $file);
    }
    header('Content-Type: text/html; charset=utf-8');
    include $file;
}

function sd_json(int $status, array $body): void {
    http_response_code($status);
    header('Content-Type: application/json; charset=utf-8');
    echo json_encode($body);
}

function sd_user(): array {
    if (($_SESSION['isLoggedIn'] ?? false) !== true) {
        return ['name' => 'Guest', 'isLoggedIn' => false, 'loginTime' => null, 'visitCount' => 0];
    }
    return ['name' => $_SESSION['username'], 'isLoggedIn' => true, 'loginTime' => $_SESSION['loginTime'],
            'visitCount' => is_int($_SESSION['visitCount'] ?? null) ? $_SESSION['visitCount'] : 0];
}

header('Cache-Control: no-store');
session_cache_limiter('');   // keep that header// Only a request that carries the cookie (or logs in) starts a session, as
// saveUninitialized: false does in Express. A session whose lock could not
// be taken (php-memcached gives up after its retries) is a 503.
$route = $_SERVER['REQUEST_METHOD'] . ' ' . strtok($_SERVER['REQUEST_URI'], '?');
if ((isset($_COOKIE[session_name()]) || $route === 'POST /login') && !@session_start()) {
    http_response_code(503);
    echo "Service Unavailable\n";
    return;
}
switch ($route) {
case 'GET /':
    $v = ['user' => sd_user()];
    if (isset($_SESSION['flash'])) { $v['flash'] = $_SESSION['flash']; unset($_SESSION['flash']); }
    if ($v['user']['isLoggedIn']) $_SESSION['visitCount'] = $v['user']['visitCount'] + 1;
    sd_render('home', $v);
    break;
case 'GET /profile':
    if (!sd_user()['isLoggedIn']) { header('Location: /login', true, 302); break; }
    sd_render('profile', ['user' => sd_user()]);
    break;
case 'POST /login':
    $u = $_POST['username'] ?? '';
    if (!is_string($u) || $u === '' || !is_string($_POST['password'] ?? null) || $_POST['password'] === '') {
        header('Location: /login?error=1', true, 302);
        break;
    }
    if (strlen($u) > MAX_USERNAME) { http_response_code(400); echo 'Bad Request'; break; }
    session_regenerate_id(true);
    $_SESSION = ['isLoggedIn' => true, 'username' => $u, 'loginTime' => gmdate('Y-m-d\TH:i:s.v\Z'),
                 'visitCount' => 0, 'flash' => ['type' => 'success', 'message' => "Welcome, $u!"]];
    header('Location: /', true, 302);
    break;
case 'POST /add-to-cart':
    $item = $_POST['item'] ?? '';
    if (!is_string($item) || $item === '') { sd_json(400, ['success' => false, 'error' => 'item is required']); break; }
    if (strlen($item) > MAX_ITEM) { sd_json(400, ['success' => false, 'error' => 'item is longer than ' . MAX_ITEM . ' bytes']); break; }
    if (session_status() !== PHP_SESSION_ACTIVE && !@session_start()) { sd_json(503, ['success' => false]); break; }
    $cart = is_array($_SESSION['cart'] ?? null) ? $_SESSION['cart'] : [];
    if (count($cart) >= MAX_CART) { sd_json(400, ['success' => false, 'error' => 'the cart is full (' . MAX_CART . ' items)']); break; }
    $cart[] = $item;
    $_SESSION['cart'] = $cart;
    sd_json(200, ['success' => true]);
    break;
default:
    http_response_code(404);
    echo 'Not Found';
}
