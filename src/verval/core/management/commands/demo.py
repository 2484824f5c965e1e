from __future__ import annotations

from typing import Any

from verval.core import demo
from verval.core.commands import DataCommand


class Command(DataCommand):
    help = "Loads the demo data set and one account per role (what `make run` uses)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--password",
            default=demo.DEMO_PASSWORD,
            help="the password of every demo account (default: the printed one)",
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing if the demo is already loaded"
        )
        parser.add_argument(
            "--students", type=int, default=28000, help="students in the demo cutoff (default 28000)"
        )
        parser.add_argument(
            "--teachers", type=int, default=2000, help="teachers in the demo cutoff (default 2000)"
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=2020,
            help="the synthesiser's seed: the same seed, the same demo (default 2020)",
        )
        parser.add_argument("--no-round", action="store_true", help="skip the simulated provider round")
        parser.add_argument(
            "--port", type=int, default=8000, help="the web server's port, for the printed example"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        result: dict[str, Any]
        if opts["if_empty"] and demo.is_loaded():
            result = {"accounts": demo.accounts_summary(opts["password"]), "loaded": False}
            self.stdout.write("Demo data already loaded.")
        else:
            self.stdout.write(
                f"Loading the demo data set ({opts['students']:,} students and "
                f"{opts['teachers']:,} teachers)..."
            )
            result = demo.load(
                password=opts["password"],
                students=opts["students"],
                teachers=opts["teachers"],
                seed=opts["seed"],
                play_round=not opts["no_round"],
            )
            result["loaded"] = True
        token = demo.demo_api_token()
        url = f"http://127.0.0.1:{opts['port']}"
        if opts["json"]:
            paths = demo.kit_paths()
            self.emit(
                {
                    "loaded": result["loaded"],
                    "accounts": result["accounts"],
                    "api_token": {demo.DEMO_PROVIDER: token},
                    "provider_kit": {
                        "provider": demo.DEMO_PROVIDER,
                        "subscribers": str(paths["subscribers"]) if paths["subscribers"].exists() else "",
                        "workdir": str(paths["workdir"]),
                    },
                }
            )
            return
        self.stdout.write("\nDemo accounts (role: username / password / scope):")
        for role, acc in result["accounts"].items():
            self.stdout.write(
                f"  {role:<11} {acc['username']:<11} / {acc['password']} / {demo.scope_label(role, acc['scope'])}"
            )
        self.stdout.write(f"\nProvider API token for {demo.DEMO_PROVIDER} (shown once): {token}")
        for line in demo.kit_lines(url=url, token=token):
            self.stdout.write(line)
