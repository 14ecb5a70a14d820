"""Calls every XML-RPC method of a running supervisord and prints, one
line per call, what came back: `method(args) -> result` or `-> Fault(code,
'string')`, HTTP errors as `ProtocolError(code, 'reason')` and responses
the client cannot parse as `ExpatError('...')`.

Usage: rpc_probe.py SOCKET CONFDIR

The daemon must run on tests/interop/rpc_probe.conf, written as
CONFDIR/supervisord.conf (the probe edits that file for reloadConfig).
tests/rpc_interop.rs runs this against Supervisor 4.3 and against ours and
compares the two outputs line by line, so the output holds nothing that
may differ between runs: pids become PID, Unix times TIME (0 stays 0),
uptimes U, the dates of stopped processes DATE, CONFDIR $DIR, and the
random part of AUTO log names RANDOM. Structs print as
`struct(key=value, ...)` in the order the server sent the keys. Where the
server itself answers in completion order (start/stop of groups with
wait=True), the result structs are sorted and the line says so.

The sequence is built so that timing cannot change an answer: starts that
must be RUNNING wait (wait=True, startsecs 0 or 1), every state the probe
depends on is polled for (bounded, then the probe fails loudly), and a
program that ignores SIGTERM for stopwaitsecs holds restart and shutdown
open long enough to observe SHUTDOWN_STATE.
"""

import http.client
import os
import re
import shutil
import socket
import sys
import threading
import time
import xmlrpc.client
from xml.parsers.expat import ExpatError

from supervisor.xmlrpc import SupervisorTransport

SOCK = sys.argv[1]
DIR = os.path.abspath(sys.argv[2])
CONF = os.path.join(DIR, 'supervisord.conf')

# Every socket the client opens gets this timeout: a daemon that accepts
# but never answers fails the probe instead of hanging it.
socket.setdefaulttimeout(30)

# How long any awaited state may take.
LIMIT = 15.0


def connect():
    return xmlrpc.client.ServerProxy(
        'http://127.0.0.1',
        transport=SupervisorTransport(None, None, 'unix://' + SOCK))


SRV = connect()

# Connection failures while the daemon restarts or exits.
GONE = (OSError, http.client.HTTPException, xmlrpc.client.ProtocolError)


def out(line):
    sys.stdout.write(line + '\n')
    sys.stdout.flush()


def fail(why):
    out('PROBE FAILED: ' + why)
    sys.stderr.write('rpc_probe.py: ' + why + '\n')
    sys.exit(1)


# ---------------------------------------------------------------------------
# Normalisation and formatting

AUTO_LOG = re.compile(r'(-(?:stdout|stderr)---supervisor-)[^/]+?(\.log)')
UPTIME = re.compile(r'^pid \d+, uptime \d+:\d\d:\d\d$')
DATE = re.compile(r'^[A-Z][a-z]{2} \d\d \d\d:\d\d [AP]M$')
TIME_KEYS = ('start', 'stop', 'now')


def norm_str(s):
    s = s.replace(DIR, '$DIR')
    return AUTO_LOG.sub(r'\1RANDOM\2', s)


def norm_struct(d):
    out = {}
    for k, v in d.items():
        if k in TIME_KEYS and isinstance(v, int) and v != 0:
            v = 'TIME'
        elif k == 'pid' and isinstance(v, int) and v != 0:
            v = 'PID'
        elif k == 'description' and isinstance(v, str):
            if UPTIME.match(v):
                v = 'pid PID, uptime U'
            elif DATE.match(v):
                v = 'DATE'
        out[k] = v
    return out


def fmt(v):
    if isinstance(v, bool):
        return repr(v)
    if isinstance(v, int):
        return repr(v)
    if isinstance(v, str):
        return repr(norm_str(v))
    if isinstance(v, dict):
        v = norm_struct(v)
        inner = ', '.join('%s=%s' % (k, fmt(x)) for k, x in v.items())
        return 'struct(%s)' % inner
    if isinstance(v, (list, tuple)):
        return '[%s]' % ', '.join(fmt(x) for x in v)
    return '<%s %r>' % (type(v).__name__, v)


def fmt_error(e):
    if isinstance(e, xmlrpc.client.Fault):
        return 'Fault(%d, %s)' % (e.faultCode, fmt(e.faultString))
    if isinstance(e, xmlrpc.client.ProtocolError):
        return 'ProtocolError(%d, %r)' % (e.errcode, e.errmsg)
    if isinstance(e, ExpatError):
        return 'ExpatError(%r)' % str(e)
    return None


def raw(method, args, srv=None):
    return (srv or SRV)._ServerProxy__request(method, tuple(args))


def outcome(method, args, srv=None, show=None, sort=False):
    """(value or None, text) of one call; unexpected exceptions propagate."""
    try:
        value = raw(method, args, srv)
    except Exception as e:
        text = fmt_error(e)
        if text is None:
            raise
        return None, text
    if show is not None:
        return value, show(value)
    if (isinstance(value, list) and value
            and all(isinstance(x, dict) for x in value)):
        items = value
        head = 'array of %d:' % len(items)
        if sort:
            items = sorted(items, key=lambda d: (d.get('group'), d.get('name')))
            head = 'array of %d (sorted by group, name):' % len(items)
        return value, '\n'.join([head] + ['    ' + fmt(x) for x in items])
    return value, fmt(value)


def call_text(method, args):
    return '%s(%s)' % (method, ', '.join(fmt(a) for a in args))


def C(method, *args, show=None, sort=False):
    """Calls, prints the line, returns the value (None after an error).
    Anything but an answer, a fault or an HTTP error (a timeout, a closed
    connection) ends the probe, with the call as its last line."""
    try:
        value, text = outcome(method, args, show=show, sort=sort)
    except Exception as e:
        out('%s -> unexpected %s' % (call_text(method, args), type(e).__name__))
        fail('%s raised %r' % (call_text(method, args), e))
    out('%s -> %s' % (call_text(method, args), text))
    return value


def S(method, *args, **kw):
    return C('supervisor.' + method, *args, **kw)


def quiet(method, *args):
    """A call whose answer is not printed (polling); must succeed."""
    return raw('supervisor.' + method, args)


# ---------------------------------------------------------------------------
# Waiting, always bounded

def poll(what, cond, limit=LIMIT):
    deadline = time.monotonic() + limit
    last = None
    while True:
        try:
            ok, last = cond()
        except Exception as e:
            fail('%s: %r' % (what, e))
        if ok:
            return last
        if time.monotonic() > deadline:
            fail('%s: not reached within %ss (last seen: %r)' % (what, limit, last))
        time.sleep(0.05)


def wait_states(states, *names):
    for name in names:
        def cond(name=name):
            info = quiet('getProcessInfo', name)
            return info['statename'] in states, info
        poll('%s in %s' % (name, '/'.join(states)), cond)


def wait_exec(name, program='sleep'):
    """Until the process has exec'd `program`: its sh wrapper has set the
    traps or closed the descriptors it was there for."""
    def cond():
        pid = quiet('getProcessInfo', name)['pid']
        try:
            with open('/proc/%d/cmdline' % pid, 'rb') as f:
                argv0 = f.read().split(b'\0')[0]
        except OSError:
            argv0 = None
        return bool(pid) and argv0 == program.encode(), (pid, argv0)
    poll('%s running %s' % (name, program), cond)


def wait_log_size(name, channel, size):
    method = {'stdout': 'tailProcessStdoutLog',
              'stderr': 'tailProcessStderrLog'}[channel]

    def cond():
        got = quiet(method, name, 0, 0)[1]
        return got == size, got
    poll('%s %s log of %d bytes' % (name, channel, size), cond)


def fresh_call(method):
    """One call on a new connection with a short timeout: for polling a
    daemon that is restarting or exiting. It closes the connections it had
    (4.3 may leave a request caught mid-restart unanswered)."""
    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(2)
    srv = connect()
    try:
        return raw(method, (), srv)
    finally:
        srv._ServerProxy__transport.close()
        socket.setdefaulttimeout(old)


def wait_answering():
    """Until getState answers (after restart); returns it."""
    def cond():
        try:
            return True, fresh_call('supervisor.getState')
        except xmlrpc.client.Fault as e:
            return False, e.faultString
        except GONE as e:
            return False, repr(e)
    return poll('getState answering again', cond, limit=30)


def wait_gone():
    """Until the daemon stops answering (after shutdown)."""
    def cond():
        try:
            fresh_call('supervisor.getState')
            return False, 'answered'
        except xmlrpc.client.Fault as e:
            return False, e.faultString
        except GONE as e:
            return True, repr(e)
    poll('daemon gone', cond, limit=30)
    return 'connection error'


def names_of(infos):
    return [i['name'] if i['group'] == i['name'] else '%s:%s' % (i['group'], i['name'])
            for i in infos]


# ---------------------------------------------------------------------------
# Config edits

def read_conf():
    with open(CONF) as f:
        return f.read()


def write_conf(text):
    with open(CONF, 'w') as f:
        f.write(text)


def drop_section(text, header):
    start = text.index(header + '\n')
    end = text.find('\n[', start + 1)
    return text[:start] + (text[end + 1:] if end != -1 else '')


ORIGINAL = None


def edit_config():
    """slowstart removed, changeme's command changed, newb and newa added
    (newb first by priority although written second)."""
    text = ORIGINAL
    text = drop_section(text, '[program:slowstart]')
    old = '[program:changeme]\ncommand=sleep 1000\n'
    assert old in text
    text = text.replace(old, '[program:changeme]\ncommand=sleep 999\n')
    text += ('\n[program:newa]\ncommand=sleep 1000\nautostart=false\n'
             'startsecs=0\npriority=900\n'
             '\n[program:newb]\ncommand=sleep 1000\nstartsecs=0\npriority=800\n')
    write_conf(text)


# ---------------------------------------------------------------------------

def main():
    global ORIGINAL, SRV
    ORIGINAL = read_conf()
    notexec = os.path.join(DIR, 'notexec.sh')
    with open(notexec, 'w') as f:
        f.write('#!/bin/sh\nexit 0\n')
    os.chmod(notexec, 0o644)

    wait_answering()
    wait_states({'RUNNING'}, 'sleeper', 'stubborn')
    wait_exec('stubborn')
    with open(os.path.join(DIR, 'supervisord.pid')) as f:
        daemon_pid = int(f.read().strip())

    # -- system namespace --------------------------------------------------
    methods = C('system.listMethods')
    for m in methods or []:
        C('system.methodSignature', m)
    for m in methods or []:
        C('system.methodHelp', m,
          show=lambda v: 'non-empty string' if isinstance(v, str) and v.strip()
          else 'NOT a non-empty string: %r' % (v,))
    C('system.methodSignature', 'supervisor.nosuch')
    C('system.methodSignature', 'supervisor._update')
    C('system.methodSignature', 'getState')
    C('system.methodHelp', 'supervisor.nosuch')
    C('system.methodHelp', 5)
    C('system.methodSignature')
    C('system.methodHelp', 'a', 'b')
    C('system.listMethods', 1)

    # -- method lookup -----------------------------------------------------
    for name in ('foo', 'a.b.c', 'supervisor.getState.x', 'supervisor._private',
                 'supervisor._update', 'supervisor.__init__', 'system._listMethods',
                 'nosuch.x', 'supervisor.nosuch', 'supervisor.', '.getState',
                 'supervisor.supervisord', 'SUPERVISOR.getState', ''):
        C(name)

    # -- versions, identity, state ----------------------------------------
    S('getAPIVersion')
    S('getVersion')
    S('getSupervisorVersion')
    S('getIdentification')
    S('getState')
    S('getPID', show=lambda v: '%s, equals the pidfile: %s'
      % (type(v).__name__, v == daemon_pid))
    S('getState', 1)
    S('getAPIVersion', 'x')

    # -- process info --------------------------------------------------------
    for name in ('sleeper', 'sleeper:sleeper', 'grp:ga', 'multi:multi_00',
                 'nolog', 'nosuch', 'grp', 'grp:*', 'grp:', 'grp:nosuch', 'ga',
                 'multi', 'nosuch:nosuch', 'sleeper:'):
        S('getProcessInfo', name)
    S('getProcessInfo')
    S('getProcessInfo', 'sleeper', 'x')
    S('getProcessInfo', 5)
    S('getProcessInfo', ['sleeper'])
    S('getAllProcessInfo')
    S('getAllProcessInfo', 'x')
    S('getAllConfigInfo')
    S('getAllConfigInfo', 'x')

    # -- main log (read while it holds nothing but ASCII) ------------------
    def typ(v):
        return '<%s>' % type(v).__name__
    S('readLog', 0, 0, show=typ)
    S('readLog', 0, 10, show=typ)
    S('readLog', -100, 0, show=typ)
    S('readMainLog', -100, 0, show=typ)
    S('readLog', -5, 1)
    S('readLog', 0, -1)
    S('readLog', -1, -1)
    S('readLog', 100000000, 10)
    S('readLog', 2147483647, 0)
    S('readMainLog', 100000000, 0)
    S('readLog', '0', '10', show=typ)
    S('readLog', [], 0)
    S('readLog', 'x', 0)
    S('readLog')
    S('readLog', 0)
    S('readMainLog', 0, 0, 0)

    # -- logs of processes that never ran ---------------------------------
    S('readProcessStdoutLog', 'grp:ga', 0, 0)
    S('readProcessStderrLog', 'grp:ga', 0, 0)
    S('tailProcessStdoutLog', 'grp:ga', 0, 100)
    S('readProcessStdoutLog', 'nolog', 0, 0)
    S('readProcessStderrLog', 'nolog', 0, 0)
    S('tailProcessStdoutLog', 'nolog', 0, 10)
    S('tailProcessStderrLog', 'nolog', 5, 10)
    S('readProcessStderrLog', 'cat', 0, 0)
    S('tailProcessStderrLog', 'cat', 0, 10)
    multi01 = quiet('getProcessInfo', 'multi:multi_01')['stdout_logfile']
    if os.path.exists(multi01):
        os.remove(multi01)
    S('readProcessStdoutLog', 'multi:multi_01', 0, 0)
    S('tailProcessStdoutLog', 'multi:multi_01', 0, 10)
    S('tailProcessLog', 'multi:multi_01', 3, 10)

    # -- start / stop, one process ------------------------------------------
    S('startProcess', 'nosuch')
    S('startProcess', 'grp:nosuch')
    S('startProcess', 'nosuch:*')
    S('startProcess', 'nofile')
    S('startProcess', 'notexec')
    S('startProcess', 'isdir', False)
    S('startProcess', 'sleeper')
    S('startProcess', 'sleeper:sleeper', False)
    S('startProcess')
    S('startProcess', 'sleeper', True, 'x')
    S('startProcess', 5)
    S('stopProcess', 'nosuch')
    S('stopProcess', 'grp:nosuch')
    S('stopProcess', 'cat')
    S('stopProcess', 'cat:cat', False)
    S('stopProcess')
    S('stopProcess', 'cat', True, 'x')
    S('getProcessInfo', 'nofile')

    S('startProcess', 'cat', True)
    S('getProcessInfo', 'cat')
    S('startProcess', 'cat')
    S('startProcess', 'fixed')
    S('getProcessInfo', 'fixed')

    # A program that exits at once: SPAWN_ERROR whether supervisord reaps it
    # inside startProcess or later while waiting (startsecs=10 keeps it
    # "too quick" however late the exit is noticed).
    S('startProcess', 'quick', True)
    wait_states({'FATAL'}, 'quick')
    S('getProcessInfo', 'quick')
    S('readProcessStdoutLog', 'quick', 0, 0)
    S('startProcess', 'quick')
    wait_states({'FATAL'}, 'quick')

    # STARTING, and a start that ends ABNORMAL_TERMINATION because another
    # client stops the process while the start is waiting.
    S('startProcess', 'slowstart', False)
    S('getProcessInfo', 'slowstart')
    S('startProcess', 'slowstart')
    S('stopProcess', 'slowstart', True)
    S('getProcessInfo', 'slowstart')
    other = connect()
    result = {}

    def start_and_wait():
        try:
            result['text'] = outcome('supervisor.startProcess', ('slowstart', True),
                                     srv=other)[1]
        except Exception as e:
            result['text'] = 'unexpected %r' % (e,)
    t = threading.Thread(target=start_and_wait)
    t.start()
    wait_states({'STARTING'}, 'slowstart')
    S('stopProcess', 'slowstart')
    t.join(LIMIT)
    if t.is_alive():
        fail('the waiting startProcess(slowstart) never answered')
    out('%s -> %s   [answered after the stop]'
        % (call_text('supervisor.startProcess', ('slowstart', True)), result['text']))
    S('getProcessInfo', 'slowstart')

    # -- signals -------------------------------------------------------------
    S('startProcess', 'trapper')
    wait_exec('trapper')
    for sig in ('HUP', 'SIGUSR1', 'usr2', 'SigHup', 1, '10', 'bogus', 'SIGBOGUS',
                '999', 0, -1, ''):
        S('signalProcess', 'trapper', sig)
    S('getProcessInfo', 'trapper')
    S('signalProcess', 'nosuch', 'HUP')
    S('signalProcess', 'grp:nosuch', 'HUP')
    S('signalProcess', 'slowstart', 'HUP')
    S('signalProcess', 'slowstart', 'bogus')
    S('signalProcess', 'trapper')
    S('signalProcess', 'trapper', 'HUP', 'x')
    S('signalProcessGroup', 'grp', 'HUP')
    S('signalProcessGroup', 'trapper', 'HUP')
    S('signalProcessGroup', 'trapper', 'bogus')
    S('signalProcessGroup', 'nosuch', 'HUP')
    S('signalProcessGroup', 'grp:*', 'HUP')
    S('signalProcessGroup', 'trapper')
    S('signalProcess', 'trapper:*', 'USR1')
    S('signalProcess', 'grp:', 'USR1')
    S('signalAllProcesses', 'bogus')
    S('signalAllProcesses', 'WINCH')
    S('signalAllProcesses', 28)
    S('signalAllProcesses')
    S('getProcessInfo', 'trapper')

    # -- stdin -----------------------------------------------------------------
    S('sendProcessStdin', 'cat', 'hello\n')
    S('sendProcessStdin', 'cat', 'h\u00e9llo \u2603 <&>\n')
    S('sendProcessStdin', 'cat', '')
    expected = 'hello\nh\u00e9llo \u2603 <&>\n'
    wait_log_size('cat', 'stdout', len(expected.encode()))
    S('readProcessStdoutLog', 'cat', 0, 0)
    S('readProcessLog', 'cat', 6, 0)
    S('tailProcessStdoutLog', 'cat', 0, 100)
    S('sendProcessStdin', 'cat', 5)
    S('sendProcessStdin', 'cat', True)
    S('sendProcessStdin', 'nosuch', 'x')
    S('sendProcessStdin', 'nosuch', 5)
    S('sendProcessStdin', 'grp:*', 'x')
    S('sendProcessStdin', 'slowstart', 'x')
    S('sendProcessStdin', 'cat')
    S('sendProcessStdin', 'cat', 'x', 'y')
    S('startProcess', 'nostdin')
    wait_exec('nostdin')
    S('sendProcessStdin', 'nostdin', 'x')
    S('sendProcessStdin', 'nostdin', 'y')

    # -- process logs: fixed content ----------------------------------------
    wait_log_size('fixed', 'stdout', 36)
    wait_log_size('fixed', 'stderr', 29)
    for method in ('readProcessStdoutLog', 'readProcessLog'):
        S(method, 'fixed', 0, 0)
    for off, length in ((0, 10), (11, 11), (22, 0), (35, 1), (36, 0), (36, 5),
                        (-5, 0), (-14, 0), (-50, 0), (-2147483648, 0),
                        (-5, 1), (-50, 10), (0, -1), (5, -5),
                        (100000000, 10), (2147483647, 2147483647),
                        (28, 2), (29, 0), (-7, 0), ('5', '3'), ('x', 0), ([], 0)):
        S('readProcessStdoutLog', 'fixed', off, length)
    for off, length in ((0, 16), (8, 8), (-6, 0), (0, 0), (16, 0), (0, -1)):
        S('readProcessStderrLog', 'fixed', off, length)
    for method in ('tailProcessStdoutLog', 'tailProcessLog'):
        S(method, 'fixed', 0, 100)
    for off, length in ((0, 5), (10, 5), (30, 10), (31, 5), (36, 10), (35, 1),
                        (1000, 100), (0, 0), (0, -5), (-5, 10), (-100, 0),
                        (2147483647, 2147483647), (-2147483648, 2147483647),
                        (0, 7), (0, 36), (36, 0), ('0', '5'), ('x', 0)):
        S('tailProcessStdoutLog', 'fixed', off, length)
    for off, length in ((3, 4), (0, 16), (0, 100), (29, 10)):
        S('tailProcessStderrLog', 'fixed', off, length)
    for method in ('readProcessStdoutLog', 'readProcessLog', 'readProcessStderrLog',
                   'tailProcessStdoutLog', 'tailProcessLog', 'tailProcessStderrLog'):
        S(method, 'nosuch', 0, 0)
        S(method, 'grp:*', 0, 0)
        S(method, 'fixed', 0)
        S(method, 'fixed', 0, 0, 0)

    # -- clearing logs ---------------------------------------------------------
    S('clearProcessLogs', 'cat')
    S('readProcessStdoutLog', 'cat', 0, 0)
    S('sendProcessStdin', 'cat', 'again\n')
    wait_log_size('cat', 'stdout', 6)
    S('readProcessStdoutLog', 'cat', 0, 0)
    S('clearProcessLog', 'fixed')
    S('readProcessStdoutLog', 'fixed', 0, 0)
    S('tailProcessStderrLog', 'fixed', 0, 100)
    S('clearProcessLogs', 'quick')           # stopped: nothing is cleared
    S('readProcessStdoutLog', 'quick', 0, 0)
    S('clearProcessLogs', 'nosuch')
    S('clearProcessLogs', 'grp:*')
    S('clearProcessLogs', 'grp')
    S('clearProcessLogs')
    S('clearProcessLogs', 'cat', 'x')
    S('sendProcessStdin', 'cat', 'third\n')
    wait_log_size('cat', 'stdout', 12)
    S('clearAllProcessLogs')
    S('readProcessStdoutLog', 'cat', 0, 0)
    S('readProcessStdoutLog', 'quick', 0, 0)
    S('clearAllProcessLogs', 'x')

    S('stopProcess', 'cat')
    S('sendProcessStdin', 'cat', 'x')
    S('getProcessInfo', 'cat')

    # -- groups ------------------------------------------------------------------
    S('startProcessGroup', 'nosuch')
    S('startProcessGroup', 'grp:*')
    S('startProcessGroup', 'ga')
    S('stopProcessGroup', 'nosuch')
    S('startProcessGroup')
    S('stopProcessGroup', 'grp', True, 'x')
    S('stopProcessGroup', 'grp')               # nothing running: []
    S('startProcessGroup', 'grp', False)       # gb (priority 10) before ga
    wait_states({'RUNNING'}, 'grp:ga', 'grp:gb')
    S('startProcessGroup', 'grp')              # all running: []
    S('startProcess', 'grp:ga')
    S('stopProcessGroup', 'grp', False)
    wait_states({'STOPPED'}, 'grp:ga', 'grp:gb')
    S('startProcessGroup', 'grp', True, sort=True)
    S('getProcessInfo', 'grp:gb')
    S('stopProcessGroup', 'grp', True, sort=True)
    S('startProcess', 'grp:*', False)
    wait_states({'RUNNING'}, 'grp:ga', 'grp:gb')
    S('stopProcess', 'grp:', True, sort=True)
    S('startProcess', 'grp:', True, sort=True)
    S('stopProcess', 'grp:*', False)
    wait_states({'STOPPED'}, 'grp:ga', 'grp:gb')
    S('startProcessGroup', 'multi', False)
    wait_states({'RUNNING'}, 'multi:multi_00', 'multi:multi_01')
    S('signalProcessGroup', 'multi', 'WINCH')
    S('stopProcessGroup', 'multi', True, sort=True)
    S('startProcess', 'grp:ga', False)
    wait_states({'RUNNING'}, 'grp:ga')
    S('startProcessGroup', 'grp', False)       # only gb is not running
    wait_states({'RUNNING'}, 'grp:gb')
    S('getAllProcessInfo')

    # -- main log: missing, cleared --------------------------------------------
    main_log = os.path.join(DIR, 'main.log')
    os.rename(main_log, main_log + '.moved')
    S('readLog', 0, 0)
    S('readMainLog', -10, 0)
    S('clearLog')
    os.rename(main_log + '.moved', main_log)
    shutil.copyfile(main_log, os.path.join(DIR, 'main-before-clear.log'))
    S('clearLog')
    S('readLog', 100000000, 0)
    S('clearLog', 'x')

    # -- reloadConfig, addProcessGroup, removeProcessGroup ----------------------
    S('reloadConfig')
    write_conf(ORIGINAL + '\n[program:broken]\nautostart=false\n')
    S('reloadConfig')
    write_conf(ORIGINAL)
    S('reloadConfig')
    S('reloadConfig', 'x')
    edit_config()
    S('reloadConfig')
    S('getAllConfigInfo')
    S('getAllProcessInfo')
    S('addProcessGroup', 'newa')
    S('addProcessGroup', 'newa')
    S('addProcessGroup', 'sleeper')
    S('addProcessGroup', 'nosuch')
    S('addProcessGroup', 'slowstart')          # active, but not in the new file
    S('addProcessGroup')
    S('addProcessGroup', 'newb', 'x')
    S('getProcessInfo', 'newa')
    S('addProcessGroup', 'newb')               # autostart
    wait_states({'RUNNING'}, 'newb')
    S('removeProcessGroup', 'newb')
    S('stopProcess', 'newb')
    S('removeProcessGroup', 'newb')
    S('removeProcessGroup', 'newb')
    S('getProcessInfo', 'newb')
    S('removeProcessGroup', 'grp')             # running
    S('removeProcessGroup', 'slowstart')
    S('getProcessInfo', 'slowstart')
    S('removeProcessGroup', 'changeme')
    S('addProcessGroup', 'changeme')
    S('removeProcessGroup', 'quick')           # FATAL counts as stopped
    S('removeProcessGroup', 'nosuch')
    S('removeProcessGroup', 'grp:ga')
    S('removeProcessGroup')
    S('removeProcessGroup', 'x', 'y')
    S('reloadConfig')
    S('getAllConfigInfo')

    # -- every process at once ------------------------------------------------
    S('stopAllProcesses', True, sort=True)
    S('stopAllProcesses')                      # nothing running: []
    S('startAllProcesses', False)
    everyone = names_of(quiet('getAllProcessInfo'))
    broken = {'nofile', 'notexec', 'isdir'}
    wait_states({'RUNNING'}, *[n for n in everyone if n not in broken])
    S('getAllProcessInfo')
    S('startAllProcesses')                     # all running but the broken ones
    S('stopAllProcesses', False)
    wait_states({'STOPPED'}, *everyone)
    S('getAllProcessInfo')
    S('addProcessGroup', 'quick')
    S('startAllProcesses', True, sort=True)
    wait_states({'FATAL'}, 'quick')
    S('getAllProcessInfo')
    S('startAllProcesses', True, 'x')
    S('stopAllProcesses', True, 'x')

    # -- multicall ----------------------------------------------------------------
    C('system.multicall', [])
    C('system.multicall', [
        {'methodName': 'supervisor.getState'},
        {'methodName': 'supervisor.getProcessInfo', 'params': ['nosuch']},
        {'methodName': 'system.multicall', 'params': [[]]},
        {'params': []},
        {'methodName': 'supervisor.stopProcess', 'params': ['grp:ga']},
        {'methodName': 'supervisor.startProcess', 'params': ['grp:ga']},
    ])
    C('system.multicall', [
        {'methodName': 'supervisor.getAPIVersion', 'params': []},
        {'methodName': 'supervisor.getProcessInfo', 'params': ['sleeper']},
        {'methodName': 'supervisor.nosuch', 'params': []},
        {'methodName': 'foo'},
        {'methodName': 'supervisor.getState', 'params': [1]},
        {'methodName': 'supervisor.stopProcess', 'params': ['grp:ga', False]},
        {'methodName': 'supervisor.stopProcess', 'params': ['grp:ga']},
        {'methodName': 'system.listMethods'},
        {'methodName': 'supervisor.readProcessStdoutLog', 'params': ['fixed', -5, 1]},
    ])
    wait_states({'STOPPED'}, 'grp:ga')
    C('system.multicall', [
        {'methodName': 'supervisor.startProcess', 'params': ['grp:ga', True]},
        {'methodName': 'supervisor.startProcess', 'params': ['grp:ga', True]},
        {'methodName': 'supervisor.startProcessGroup', 'params': ['nosuch']},
        {'methodName': 'supervisor.startProcessGroup', 'params': ['grp']},
    ])
    C('system.multicall', ['supervisor.getState'])
    C('system.multicall')
    C('system.multicall', [], [])

    # -- events ----------------------------------------------------------------
    S('sendRemoteCommEvent', 'probe-type', 'probe data')
    S('sendRemoteCommEvent', '', '')
    S('sendRemoteCommEvent', 'x')
    S('sendRemoteCommEvent', 'x', 'y', 'z')

    # -- restart ---------------------------------------------------------------
    wait_states({'RUNNING'}, 'stubborn')
    wait_exec('stubborn')
    S('restart', 'x')
    S('restart')
    # stubborn ignores SIGTERM for stopwaitsecs=3: still restarting.
    S('getState')
    S('getPID')
    S('restart')
    S('shutdown')
    S('sendRemoteCommEvent', 'during', 'restart')
    C('system.methodSignature', 'supervisor.restart')
    C('system.multicall', [{'methodName': 'supervisor.getState'},
                           {'methodName': 'system.listMethods'}],
      show=lambda v: fmt([v[0], '<%d methods>' % len(v[1])]))
    S('signalAllProcesses', 'WINCH')
    state = wait_answering()
    # The restart closed every connection made before it.
    SRV._ServerProxy__transport.close()
    SRV = connect()
    out('after restart: supervisor.getState() -> %s' % fmt(state))
    S('getPID', show=lambda v: 'equals the pidfile: %s' % (v == daemon_pid))
    wait_states({'RUNNING'}, 'sleeper', 'stubborn', 'newb')
    wait_exec('stubborn')
    S('getAllProcessInfo')
    S('reloadConfig')

    # -- shutdown ----------------------------------------------------------------
    S('shutdown', 'x')
    S('shutdown')
    S('getState')
    S('getAllProcessInfo')
    S('shutdown')
    S('restart')
    S('sendRemoteCommEvent', 'during', 'shutdown')
    C('system.listMethods', show=lambda v: '<%d methods>' % len(v))
    S('signalAllProcesses', 'WINCH')
    out('after shutdown: supervisor.getState() -> %s' % wait_gone())
    out('probe finished')


if __name__ == '__main__':
    main()
