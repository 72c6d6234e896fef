"""Terminals' own users get the `terminal` role (the protocol's rights only) instead of cashier/keeper + manager
(issue 14, finding 4): they stop being approvers, alert recipients and managers."""

from django.db import migrations


def to_terminal_role(apps, schema_editor):
    Terminal = apps.get_model("sync", "Terminal")
    User = apps.get_model("core", "User")
    ids = list(Terminal.objects.values_list("user_id", flat=True))
    for user in User.objects.filter(pk__in=ids):
        user.roles = ["terminal"]
        user.save(update_fields=["roles"])


def back_to_manager(apps, schema_editor):
    Terminal = apps.get_model("sync", "Terminal")
    User = apps.get_model("core", "User")
    for terminal in Terminal.objects.all():
        roles = (["keeper"] if terminal.operator_id else
                 ["cashier", "manager"] if terminal.kind == "pos" else ["keeper", "manager"])
        User.objects.filter(pk=terminal.user_id).update(roles=roles)


class Migration(migrations.Migration):
    dependencies = [("sync", "0004_till_closing"), ("core", "0001_initial")]

    operations = [migrations.RunPython(to_terminal_role, back_to_manager)]
