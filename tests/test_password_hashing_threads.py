"""argon2 runs on hashing threads of its own, at a lower priority than the event loop's, so
pages keep being served while passwords hash; nothing hashes on the caller's thread, the
decoy of unknown-email logins included."""

import asyncio
import os
import threading

from shopgraph.auth.passwords import HashingBusy, Passwords

# Slow enough (tens of milliseconds a hash) that the event loop visibly turns meanwhile.
HEAVY = {"time_cost": 3, "memory_kib": 32 * 1024, "parallelism": 1}


def hashing_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("password-hashing")]


async def loop_turns_while(work: asyncio.Future) -> int:
    """How often the event loop ran another coroutine before `work` was done."""
    turns = 0
    while not work.done():
        turns += 1
        await asyncio.sleep(0)
    await work
    return turns


async def test_hashing_and_verifying_leave_the_event_loop_free():
    passwords = Passwords(concurrency=2, queue=2, **HEAVY)
    stored = await passwords.hash("a long enough password")
    loop_thread = threading.get_native_id()

    for work in (
        passwords.hash("another password"),
        passwords.verify(stored, "a long enough password"),
        passwords.verify_nothing("a guessed password"),
    ):
        assert await loop_turns_while(asyncio.ensure_future(work)) > 10
    assert (await passwords.verify(stored, "a long enough password")).valid
    assert hashing_threads() and all(t.native_id != loop_thread for t in hashing_threads())


async def test_hashing_threads_run_at_the_configured_nice_value_and_the_loop_does_not():
    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    passwords = Passwords(concurrency=2, queue=0, nice=min(before + 7, 19), **HEAVY)

    await asyncio.gather(passwords.hash("password one"), passwords.hash("password two"))

    threads = [t for t in hashing_threads() if t.native_id is not None]
    niced = {os.getpriority(os.PRIO_PROCESS, t.native_id) for t in threads if t.is_alive()}
    assert min(before + 7, 19) in niced
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before


async def test_a_full_queue_still_refuses_at_once_on_the_hashing_threads():
    passwords = Passwords(concurrency=1, queue=0, **HEAVY)

    results = await asyncio.gather(
        *(passwords.hash(f"password {n}") for n in range(3)), return_exceptions=True
    )

    assert [type(r) for r in results] == [str, HashingBusy, HashingBusy]


async def test_at_the_lowest_nice_value_hashing_threads_are_in_the_idle_scheduling_class():
    passwords = Passwords(concurrency=1, queue=0, nice=19, **HEAVY)

    await passwords.hash("password one")

    [thread] = [t for t in hashing_threads() if t.ident in _threads_of(passwords)]
    assert os.sched_getscheduler(thread.native_id) == os.SCHED_IDLE
    assert os.getpriority(os.PRIO_PROCESS, thread.native_id) == 19
    assert os.sched_getscheduler(threading.get_native_id()) == os.SCHED_OTHER


def _threads_of(passwords: Passwords) -> set[int | None]:
    return {thread.ident for thread in passwords._threads._threads}
