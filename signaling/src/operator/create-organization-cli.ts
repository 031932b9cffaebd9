/**
 * `npm run org:create -- --name "Hansen legekontor" --admin-email kari@example.no [--admin-name "Kari Hansen"]`:
 * a clinic from nothing. Creates the organization with its first room (a shared room named after it, so
 * the clinic has a visitor link from the start; admins see every room) and an invitation for its first
 * admin, who opens the link, types the code, sets a password and two-step login. Recorded in the new
 * organization's audit log.
 */
import { roomName } from '../../protocol/index.ts';
import { adminInvitee, checkAddressFree, checkedName, inviteAdmin } from './admin-invitation.ts';
import { operatorArgs, runOperatorCommand } from './operator-cli.ts';

await runOperatorCommand(
  'org:create',
  'usage: npm run org:create -- --name <organization name> --admin-email <e-mail> [--admin-name <the admin’s name>]',
  () => {
    const args = operatorArgs({ required: ['name', 'admin-email'], optional: ['admin-name'] });
    return { name: checkedName('name', args.name, roomName), invitee: adminInvitee(args) };
  },
  async ({ name, invitee }, c) => {
    // Checked before anything is written: a taken address would make an invitation no one can accept.
    await checkAddressFree(c, invitee);
    const org = await c.organizations.createOrganization(name);
    const room = await c.organizations.createRoom(org.id, { slug: await c.organizations.freeSlugFor(name), name, kind: 'shared' });
    const invitation = await inviteAdmin(c, org.id, invitee);
    await c.audit.record({ orgId: org.id, actor: 'operator', action: 'operator_command', targetId: org.id, detail: { command: 'org_create', room: room.id, invited: 'admin' } });
    process.stdout.write(
      `${[`organization ${org.id} created: ${name}`, `  first room, ${name}: visitors use ${c.env.publicOrigin}/r/${room.slug}`, ...invitation].join('\n')}\n`,
    );
  },
);
