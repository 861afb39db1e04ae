from bot.cli.launch import run

run()
