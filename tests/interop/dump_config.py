"""Dump the configuration resolved by the real Supervisor 4.3 as JSON.

This is the reference side of the differential config test: run it with the
Python of a Supervisor 4.3 install, giving it supervisord's own command-line
arguments, e.g.

    /path/to/sv43/bin/python dump_config.py -c tests/fixtures/good/x.conf -n

It loads the configuration exactly as supervisord 4.3 does
(ServerOptions.realize) and prints one JSON object in the format of
docs/config-json.md, which `supervisord --test-config --json` of supervisor-rs
must reproduce.  On a bad configuration realize() itself prints
"Error: ..." / "For help, use supervisord -h" on stderr and exits 2; that is
deliberately left untouched.  `notices` is always [] here (4.3 ignores
unknown keys silently).
"""
import json
import shlex
import socket
import sys

from supervisor import supervisord
from supervisor.datatypes import Automatic, RestartUnconditionally
from supervisor.datatypes import RestartWhenExitUnexpected
from supervisor.events import EventTypes
from supervisor.loggers import LevelsByDescription
from supervisor.options import EventListenerPoolConfig, FastCGIGroupConfig
from supervisor.options import ServerOptions

LEVEL_NAMES = {v: k for k, v in vars(LevelsByDescription).items()
               if not k.startswith('_')}
EVENT_NAMES = {v: k for k, v in vars(EventTypes).items()
               if not k.startswith('_')}


def spec(f):
    """A callable as a 'module:name' entry-point string."""
    return '%s:%s' % (f.__module__, f.__name__)


def owner(t):
    return None if t is None else list(t)


def logfile(v):
    return 'AUTO' if v is Automatic else v


def autorestart(v):
    if v is RestartWhenExitUnexpected:
        return 'unexpected'
    if v is RestartUnconditionally:
        return 'true'
    assert v is False, v
    return 'false'


def argv(command):
    try:
        return shlex.split(command)
    except ValueError:
        return None


def supervisord_section(o):
    return {
        'logfile': o.logfile,
        'logfile_maxbytes': o.logfile_maxbytes,
        'logfile_backups': o.logfile_backups,
        'loglevel': LEVEL_NAMES[o.loglevel],
        'pidfile': o.pidfile,
        'umask': o.umask,
        'nodaemon': bool(o.nodaemon),
        'silent': bool(o.silent),
        'minfds': o.minfds,
        'minprocs': o.minprocs,
        'nocleanup': bool(o.nocleanup),
        'childlogdir': o.childlogdir,
        'user': o.user,
        'directory': o.directory,
        'strip_ansi': bool(o.strip_ansi),
        'environment': dict(o.configroot.supervisord.environment or {}),
        'identifier': o.identifier,
        # Our extension; 4.3 has no such option (tests leave it unset).
        'subreaper': None,
    }


def server(c):
    if c['family'] == socket.AF_INET:
        return {'section': c['section'], 'family': 'inet',
                'host': c['host'], 'port': c['port'],
                'username': c['username'], 'password': c['password']}
    assert c['family'] == socket.AF_UNIX, c
    return {'section': c['section'], 'family': 'unix', 'file': c['file'],
            'chmod': c['chmod'], 'chown': list(c['chown']),
            'username': c['username'], 'password': c['password']}


def process(p):
    d = {'name': p.name, 'command': p.command, 'argv': argv(p.command),
         'directory': p.directory, 'umask': p.umask, 'priority': p.priority,
         'autostart': bool(p.autostart),
         'autorestart': autorestart(p.autorestart),
         'startsecs': p.startsecs, 'startretries': p.startretries,
         'uid': p.uid}
    for ch in ('stdout', 'stderr'):
        d[ch + '_logfile'] = logfile(getattr(p, ch + '_logfile'))
        for k in ('_logfile_maxbytes', '_logfile_backups',
                  '_capture_maxbytes'):
            d[ch + k] = getattr(p, ch + k)
        for k in ('_events_enabled', '_syslog'):
            d[ch + k] = bool(getattr(p, ch + k))
    d.update({
        'stopsignal': p.stopsignal, 'stopwaitsecs': p.stopwaitsecs,
        'stopasgroup': bool(p.stopasgroup),
        'killasgroup': bool(p.killasgroup),
        'exitcodes': list(p.exitcodes),
        'redirect_stderr': bool(p.redirect_stderr),
        'environment': dict(p.environment or {}),
        'serverurl': p.serverurl,
    })
    return d


def group(g):
    if isinstance(g, EventListenerPoolConfig):
        kind = 'eventlistener'
    elif isinstance(g, FastCGIGroupConfig):
        kind = 'fcgi'
    else:
        kind = 'process'
    d = {'name': g.name, 'kind': kind, 'priority': g.priority,
         'processes': [process(p) for p in g.process_configs]}
    if kind == 'eventlistener':
        d['buffer_size'] = g.buffer_size
        d['events'] = sorted(EVENT_NAMES[e] for e in g.pool_events)
        d['result_handler'] = spec(g.result_handler)
    elif kind == 'fcgi':
        s = g.socket_config
        d['socket'] = {'url': str(s.url),
                       'owner': owner(getattr(s, 'owner', None)),
                       'mode': getattr(s, 'mode', None),
                       'backlog': s.backlog}
    return d


def main():
    o = ServerOptions()
    o.realize(args=sys.argv[1:], doc=supervisord.__doc__,
              progname='supervisord')
    doc = {
        'supervisord': supervisord_section(o),
        'serverurl': o.serverurl,
        'servers': [server(c) for c in o.server_configs],
        'rpcinterfaces': [{'name': n, 'factory': spec(f), 'extras': extras}
                          for n, f, extras in o.rpcinterface_factories],
        'groups': [group(g) for g in o.process_group_configs],
        'parse_warnings': list(o.parse_warnings),
        'parse_infos': list(o.parse_infos),
        'notices': [],
    }
    print(json.dumps(doc, indent=2, sort_keys=False))


if __name__ == '__main__':
    main()
