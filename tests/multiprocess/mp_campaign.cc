// The multi-process campaign: a clinic's processes on one database while the
// process holding it is killed (SIGKILL) again and again.
//
// Each round starts a fresh database and keeps --workers worker processes
// (cotrack_mp_worker: visits, reads, read snapshots) running beside the
// command line (imports, backups, checks, dumps). Every 50-300 ms it finds
// the process holding the database's lock and, when it is a worker, kills it
// and starts another; the others must carry on. When a round's kills are
// done, it waits for everyone and checks that every visit any worker was told
// was written (killed ones included) is there, whole; that no worker failed
// or saw a visit missing; that every command-line run succeeded; and that
// `cotrack check` finds nothing wrong.
//
//   cotrack_mp_campaign --kills N [--seed S] [--dir DIR] [--workers W]
//                       [--kills-per-round K]
// Prints one line per round and a last "N passed, N failed" line; exit 0
// when nothing failed.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cotrack/database.h"
#include "cotrack/maintenance.h"
#include "multiprocess/processes.h"

namespace {

using cotrack::mp::Child;

struct Config {
  int kills = 12;
  int kills_per_round = 4;
  int workers = 3;
  unsigned seed = 1;
  std::string dir = "/tmp/cotrack-mp-campaign";
};

struct Totals {
  int rounds = 0, kills = 0, verified = 0, commands = 0, failures = 0;
};

void Failure(Totals& t, const std::string& what) {
  std::printf("FAILURE: %s\n", what.c_str());
  std::fflush(stdout);
  ++t.failures;
}

// A command-line run in the background: import, backup, check or dump.
struct CommandRun {
  Child child;
  std::string what;  // its command line, for a failure message
};

CommandRun Command(const std::string& db, const std::string& round_dir, int n, std::mt19937& rng) {
  const std::string out = absl::StrCat(round_dir, "/cli-", n, ".out");
  std::vector<std::string> args = {COTRACK_BINARY, "--db", db};
  switch (rng() % 4) {
    case 0: {
      const std::string csv = absl::StrCat(round_dir, "/import-", n, ".csv");
      std::ofstream f(csv);
      f << "patient,measure,date,value\n";
      for (int i = 0; i < 300; ++i) {
        f << "CSV" << n << "-" << i % 10 << ",edss," << 1990 + i / 10 << "-06-01,"
          << 1.0 + 0.5 * (i % 5) << "\n";
      }
      args.insert(args.end(), {"--user", "cron", "import", csv});
      break;
    }
    case 1:
      args.insert(args.end(), {"backup", absl::StrCat(round_dir, "/backups")});
      break;
    case 2:
      args.push_back("check");
      break;
    default:
      args.push_back("dump");
      break;
  }
  CommandRun run;
  run.what = absl::StrJoin(args.begin() + 3, args.end(), " ");
  run.child = cotrack::mp::Spawn(args, out, absl::StrCat(round_dir, "/cli-", n, ".err"));
  return run;
}

void Round(const Config& c, int round, std::mt19937& rng, Totals& t) {
  const std::string round_dir = absl::StrCat(c.dir, "/round-", round);
  std::filesystem::remove_all(round_dir);
  std::filesystem::create_directories(round_dir);
  const std::string db = round_dir + "/db";
  int names = 0;
  auto start_worker = [&] {
    const std::string name = absl::StrCat("R", round, "W", names++);
    return cotrack::mp::Spawn({COTRACK_MP_WORKER, "--db", db, "--name", name, "--visits", "400"},
                              absl::StrCat(round_dir, "/", name, ".out"));
  };
  std::vector<Child> workers, finished;
  for (int i = 0; i < c.workers; ++i) workers.push_back(start_worker());
  std::vector<CommandRun> commands;
  int kills = 0, command_count = 0;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (kills < c.kills_per_round && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50 + rng() % 250));
    if (rng() % 3 == 0) commands.push_back(Command(db, round_dir, command_count++, rng));
    // Workers that finished their visits make room for new ones: the
    // round's kills need workers holding the database.
    for (Child& w : workers) {
      int status;
      if (waitpid(w.pid, &status, WNOHANG) != w.pid) continue;
      const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      if (code != 0) {
        Failure(t, absl::StrCat("round ", round, ": worker exited ", code, ": ",
                                cotrack::mp::Output(w)));
      }
      w.pid = -1;
      close(w.stdin_fd);
      w.stdin_fd = -1;
      finished.push_back(w);
      w = start_worker();
    }
    const pid_t holder = cotrack::mp::Holder(db);
    for (size_t i = 0; i < workers.size(); ++i) {
      if (workers[i].pid != holder) continue;
      kill(holder, SIGKILL);
      cotrack::mp::Wait(workers[i]);
      finished.push_back(workers[i]);
      workers[i] = start_worker();
      ++kills;
      break;
    }
  }
  if (kills < c.kills_per_round) {
    Failure(t, absl::StrCat("round ", round, ": only ", kills,
                            " kills in 60 s (a worker never held the database)"));
  }
  for (Child& w : workers) {
    const int code = cotrack::mp::Wait(w);
    if (code != 0) {
      Failure(
          t, absl::StrCat("round ", round, ": worker exited ", code, ": ", cotrack::mp::Output(w)));
    }
    finished.push_back(w);
  }
  for (CommandRun& cmd : commands) {
    const int code = cotrack::mp::Wait(cmd.child);
    if (code != 0) {
      std::ifstream err(cmd.child.err);
      std::stringstream text;
      text << err.rdbuf();
      Failure(t, absl::StrCat("round ", round, ": `cotrack ", cmd.what, "` exited ", code, ": ",
                              text.str()));
    }
  }

  // Every acknowledged visit is there, whole.
  int verified = 0;
  {
    auto opened = cotrack::Database::Open(db);
    if (!opened.ok()) {
      Failure(t, absl::StrCat("round ", round, ": open: ", opened.status().message()));
      return;
    }
    for (const Child& w : finished) {
      for (const auto& [patient, day] : cotrack::mp::Acknowledged(cotrack::mp::Output(w))) {
        auto got = (*opened)->Visit(patient, cotrack::CivilTime::FromDay(day));
        if (!got.ok() || got->size() != 2) {
          Failure(t, absl::StrCat("round ", round, ": acknowledged visit ", patient, " ", day,
                                  got.ok() ? absl::StrCat(" has ", got->size(), " values")
                                           : absl::StrCat(": ", got.status().message())));
        }
        ++verified;
      }
    }
  }
  auto report = cotrack::CheckDatabase(db);
  if (!report.ok() || !report->ok()) {
    Failure(t, absl::StrCat("round ", round, ": check: ",
                            report.ok() ? report->problems.front().message
                                        : std::string(report.status().message())));
  }
  std::printf("round %d: %d kills, %d acknowledged visits verified, %d command-line runs\n", round,
              kills, verified, command_count);
  std::fflush(stdout);
  t.kills += kills;
  t.verified += verified;
  t.commands += command_count;
  ++t.rounds;
  if (t.failures == 0) std::filesystem::remove_all(round_dir);
}

}  // namespace

int main(int argc, char** argv) {
  Config c;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--kills") {
      c.kills = std::atoi(v.c_str());
    } else if (a == "--kills-per-round") {
      c.kills_per_round = std::max(1, std::atoi(v.c_str()));
    } else if (a == "--workers") {
      c.workers = std::max(1, std::atoi(v.c_str()));
    } else if (a == "--seed") {
      c.seed = static_cast<unsigned>(std::strtoul(v.c_str(), nullptr, 10));
    } else if (a == "--dir") {
      c.dir = v;
    } else {
      std::fprintf(stderr,
                   "usage: cotrack_mp_campaign --kills N [--seed S] [--dir DIR] [--workers W] "
                   "[--kills-per-round K]\n");
      return 2;
    }
  }
  std::mt19937 rng(c.seed);
  Totals t;
  for (int round = 0; t.kills < c.kills; ++round) Round(c, round, rng, t);
  std::printf(
      "campaign: %d rounds, %d kills of the serving process, %d acknowledged visits "
      "verified, %d command-line runs\n",
      t.rounds, t.kills, t.verified, t.commands);
  std::printf("%d passed, %d failed\n", t.failures == 0 ? t.rounds : 0, t.failures);
  return t.failures == 0 ? 0 : 1;
}
