// Baseline B for `make bench`: the tutorial's app (../shared/seed/server-side-sessions.md)
// on Express 5 + express-session + connect-memcached, with the same routes and session
// semantics as mod_sessiondemo, rendering the module's own templates with hbs (the
// template syntax is a Handlebars subset), so the pages have the same size.
//
// Environment: PORT, SD_SECRET, SD_MEMCACHED (host:port), SD_TEMPLATES (dir),
// EXPRESS_WORKERS (node:cluster workers; default 1 = the tutorial's single process).
'use strict';
const cluster = require('node:cluster');

const workers = parseInt(process.env.EXPRESS_WORKERS || '1', 10);
if (cluster.isPrimary && workers > 1) {
    for (let i = 0; i < workers; i++) cluster.fork();
    cluster.on('exit', (w, code, sig) => {
        console.error(`express worker ${w.process.pid} exited (${sig || code})`);
    });
    return;
}

const express = require('express');
const session = require('express-session');
const MemcachedStore = require('connect-memcached')(session);
const hbs = require('hbs');
const path = require('path');

const PORT = parseInt(process.env.PORT || '3012', 10);
const app = express();

app.engine('html', hbs.__express);
app.set('view engine', 'html');
app.set('views', process.env.SD_TEMPLATES || path.join(__dirname, '..', '..', 'templates'));
app.set('view cache', true);

app.use(express.urlencoded({ extended: false }));

app.use(session({
    secret: process.env.SD_SECRET || 'your-secret-key-change-this-in-production',
    resave: false,
    saveUninitialized: false,
    cookie: {
        secure: false,
        maxAge: 24 * 60 * 60 * 1000, // 24 hours
        sameSite: 'lax',
    },
    store: new MemcachedStore({
        hosts: [process.env.SD_MEMCACHED || '127.0.0.1:11211'],
        prefix: 'sess:',
    }),
}));

app.get('/', (req, res) => {
    let user = { name: 'Guest', isLoggedIn: false, loginTime: null, visitCount: 0 };
    if (req.session.isLoggedIn) {
        user = {
            name: req.session.username,
            isLoggedIn: true,
            loginTime: req.session.loginTime,
            visitCount: req.session.visitCount || 0,
        };
        req.session.visitCount = (req.session.visitCount || 0) + 1;
    }
    const flash = req.session.flash;
    delete req.session.flash;
    res.render('home', { user, flash });
});

app.get('/login', (req, res) => {
    res.render('login', { error: req.query.error !== undefined });
});

app.post('/login', (req, res, next) => {
    const username = req.body && req.body.username;
    const password = req.body && req.body.password;
    if (!username || !password) {
        return res.redirect('/login?error=1');
    }
    req.session.regenerate((err) => {
        if (err) return next(err);
        req.session.isLoggedIn = true;
        req.session.username = username;
        req.session.loginTime = new Date().toISOString();
        req.session.visitCount = 0;
        req.session.flash = { type: 'success', message: `Welcome, ${username}!` };
        res.redirect('/');
    });
});

app.post('/logout', (req, res) => {
    req.session.destroy((err) => {
        if (err) console.log('Error destroying session:', err);
        res.clearCookie('connect.sid', { path: '/' });
        res.redirect('/');
    });
});

app.get('/profile', (req, res) => {
    if (!req.session.isLoggedIn) {
        return res.redirect('/login');
    }
    const user = {
        name: req.session.username,
        loginTime: req.session.loginTime,
        visitCount: req.session.visitCount || 0,
    };
    res.render('profile', { user });
});

app.get('/protected', (req, res) => {
    if (!req.session.isLoggedIn) {
        return res.status(401).send('Unauthorized');
    }
    res.send('Protected content');
});

app.post('/add-to-cart', (req, res) => {
    const item = req.body && req.body.item;
    if (!item) {
        return res.status(400).json({ success: false, error: 'item is required' });
    }
    if (!req.session.cart) {
        req.session.cart = [];
    }
    req.session.cart.push(item);
    res.json({ success: true });
});

app.get('/cart', (req, res) => {
    res.json({ items: req.session.cart || [] });
});

app.listen(PORT, '127.0.0.1', () => {
    console.log(`express peer listening on 127.0.0.1:${PORT} (pid ${process.pid})`);
});
