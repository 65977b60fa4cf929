/**
 * The catalogue of runtime error codes: every code an AnvilError carries, with the HTTP status it answers by
 * default, what it means and what the operator does about it. Codes are stable (operators grep logs and
 * Ironic's last_error for them, tests assert them) and docs/reference/error-codes.md is generated from this
 * table. AnvilError's code parameter is typed by it, so an uncatalogued code does not compile. Add codes;
 * never rename or reuse one. (Validation codes, the plan's own problems, are in ../report/codes.ts.)
 */
export interface ErrorInfo {
  /** The HTTP status the driver-service (or the agent's API) answers with unless a call site has a reason to differ. */
  readonly status: number;
  /** One line: what happened. */
  readonly meaning: string;
  /** One line: what the operator should do. */
  readonly action: string;
}

export const ERRORS = {
  // The driver-service's HTTP API
  'request.invalid': { status: 400, meaning: 'A request body or parameter does not have the expected shape.', action: 'Fix the request as the message says; docs/openapi/driver-service.yaml describes every body.' },
  'request.too_large': { status: 413, meaning: 'The request body is larger than the route takes (docs/driver-service.md lists each route’s limit).', action: 'Send a smaller body; a plan has its own size limits (docs/plan-format.md).' },
  'request.not_found': { status: 404, meaning: 'No route of the driver-service matches the method and path.', action: 'Check the URL against docs/openapi/driver-service.yaml.' },
  'service.error': { status: 500, meaning: 'The driver-service failed in a way it has no code for (a bug).', action: 'Look at the service log for the stack; report it.' },
  'service.not_ready': { status: 503, meaning: '`/readyz`: the database or Ironic does not answer.', action: 'Check the database and Ironic the service is configured with; the message names the failure.' },
  'config.unreadable': { status: 400, meaning: 'The driver-service cannot read its configuration file.', action: 'Check the path and permissions of the file given to `anvil-driver-service`.' },
  'config.invalid': { status: 400, meaning: 'The driver-service configuration does not validate.', action: 'Fix the keys the message lists (docs/driver-service.md describes them).' },
  // Bootstrap builds
  'bootstrap.bad_option': { status: 400, meaning: '`anvil bootstrap build`: an option or a key of the --config-file does not validate.', action: 'Fix the option the message names (docs/bootstrap-build.md lists them).' },
  'bootstrap.not_root': { status: 400, meaning: 'Building a bootstrap image needs root (mmdebstrap in root mode, chroot, device nodes).', action: 'Run `anvil bootstrap build` as root.' },
  'bootstrap.tool_missing': { status: 500, meaning: 'A program the build runs on this host is not installed (mmdebstrap, mksquashfs, cpio, zstd, curl, modprobe).', action: 'Run `sudo npm run setup`, or apt-get install the package the message names.' },
  'bootstrap.node_unsuitable': { status: 500, meaning: 'The Node.js runtime to copy into the image is older than the agent needs (20.11).', action: 'Run the build with Node.js 20.11 or newer.' },
  'bootstrap.repo_unreachable': { status: 502, meaning: 'A repository did not answer for its Release file within seconds (checked before the build starts).', action: 'Check the repository URL, the proxy the message names (--http-proxy/--https-proxy, --direct-repo-addr) and this host’s network.' },
  'bootstrap.build_failed': { status: 500, meaning: 'Assembling the image failed (mmdebstrap, the initramfs or the archive); nothing was left in the output directory.', action: 'Read the build log the message names; the last lines of the failing step are quoted.' },
  'bootstrap.script_failed': { status: 500, meaning: 'The --script run inside the image exited non-zero; the build stopped and left no output.', action: 'Fix the script (its output is in the build log the message names).' },
  'bootstrap.missing_module': { status: 500, meaning: 'A kernel module the image must carry is not in the kernel package built in (or lost its dependencies in the trim).', action: 'Use a kernel flavor that ships it (`--kernel-flavor amd64`), or add the package that provides it.' },
  'database.migration_failed': { status: 500, meaning: 'The driver-service could not migrate its database at start.', action: 'Check the database is reachable and writable; the message names the migration that failed.' },
  'auth.missing_token': { status: 401, meaning: 'The route needs a Keystone token and the request has no `X-Auth-Token`.', action: 'Send a token (`openstack token issue`).' },
  'auth.invalid_token': { status: 401, meaning: 'Keystone does not accept the token (expired, revoked or unknown).', action: 'Get a new token.' },
  'auth.forbidden': { status: 403, meaning: 'The token lacks the role the route needs (admin to change, reader/member/admin to read).', action: 'Use a token with the role, or grant it in Keystone.' },
  'auth.keystone_unavailable': { status: 503, meaning: 'Keystone could not be asked to validate the token.', action: 'Check Keystone and the service’s `keystone.*` settings; retry.' },
  'layout.not_found': { status: 404, meaning: 'No layout of that name is stored.', action: 'List layouts (`GET /v1/layouts`) or store it (`anvil layout put`).' },
  'layout.bad_name': { status: 400, meaning: 'A layout name is not lower-case letters, digits, `-` and `_` (at most 63).', action: 'Choose a name of that form.' },
  'layout.does_not_fit': { status: 422, meaning: 'The layout does not fit the disks the node’s agent reported (at the start of its last deploy step); `entries` lists where, with the validator’s codes.', action: 'Choose a layout that fits, or fix the one given (`anvil layout check LAYOUT --node NODE` shows the entries).' },
  'layout.invalid': { status: 422, meaning: 'A stored layout would not be a valid plan (validated with sample values in its placeholders); `entries` lists the problems.', action: 'Fix the entries (docs/reference/validation-codes.md) and store it again.' },
  'adopt.wrong_state': { status: 409, meaning: 'Ironic changes a node’s deploy interface only in some provision states (or in maintenance).', action: 'Move the node to manageable or available (or set maintenance) and adopt again.' },
  'capability.unknown_node': { status: 404, meaning: 'The metadata URL names a node the service has not adopted.', action: 'Adopt the node (`anvil node adopt`); its driver_info then carries the right URL.' },
  'capability.rate_limited': { status: 429, meaning: 'Too many refused capabilities came from this source address in the last minute (`capability_failures_per_minute`).', action: 'Wait a minute. An agent with its node’s current metadata URL is never counted: check what else on that address guesses.' },
  'capability.refused': { status: 403, meaning: 'The secret in the metadata URL does not match (it is rotated after each deploy).', action: 'Re-adopt the node, or deploy again so the node’s driver_info carries the current URL.' },
  'metadata.not_deploying': { status: 409, meaning: 'A plan is served only while the node deploys, and it is not deploying.', action: 'Deploy the node; the agent fetches its plan during the deploy.' },
  'metadata.no_layout': { status: 409, meaning: 'Nothing names a layout for the node and there is no default layout.', action: 'Set instance_info.anvil_layout, driver_info.anvil_layout, a CUSTOM_ANVIL_<NAME> trait, or store a default layout.' },
  'metadata.layout_missing': { status: 409, meaning: 'The node names a layout the service does not have.', action: 'Store the layout, or correct the name the node carries.' },
  'metadata.bad_checksum': { status: 409, meaning: 'instance_info.image_checksum is not a hex digest, which an Anvil layout needs.', action: 'Set image_checksum to an md5, sha256 or sha512 hex digest (or use image_os_hash_*).' },
  'metadata.glance_needs_keystone': { status: 409, meaning: 'The image is a Glance image and the service has no Keystone credentials to grant the agent access.', action: 'Configure the service’s `keystone.*`, or give an http(s) image URL.' },
  'metadata.glance_not_active': { status: 409, meaning: 'The Glance image is not `active` (still uploading, or deactivated).', action: 'Wait for the upload or choose an active image.' },
  'metadata.checksum_file': { status: 409, meaning: 'instance_info.image_checksum is a checksums-file URL the service could not read.', action: 'Check that the URL answers from the service’s host, or give the digest itself.' },
  'metadata.glance_placement': { status: 409, meaning: 'A layout puts `{{image.url}}` somewhere a Glance image cannot fill (only an image source `{"url": "{{image.url}}"}` can).', action: 'Use the placeholder as a whole image source, or give an http(s) image.' },
  'metadata.glance_unresolved': { status: 500, meaning: 'A Glance image reached the layout filling unresolved (a bug in the service).', action: 'Report it with the service log.' },
  'metadata.instance_value_missing': { status: 409, meaning: 'The layout has a flavor placeholder (`{{instance.root_size}}`) and instance_info has no value for it (no `root_gb`).', action: 'Deploy through Nova with a flavor that has a root disk, or set instance_info.root_gb on the node (Ironic standalone).' },
  'metadata.invalid_plan': { status: 409, meaning: 'The layout, filled from the node’s instance_info, is not a valid plan; `entries` lists the problems.', action: 'Fix the layout or the instance_info values the entries point at.' },
  'passthru.unknown_method': { status: 400, meaning: 'The vendor-passthru route knows only `progress`.', action: 'Use `POST /v1/nodes/{node}/vendor_passthru/progress`.' },
  'deployment.not_found': { status: 404, meaning: 'The service has recorded no deployment of the node.', action: 'Check the node; deployments are recorded when the agent fetches its plan.' },
  // OpenStack clients (the `<service>.http_<status>` codes are below, with the families)
  'ironic.unreachable': { status: 502, meaning: 'Ironic did not answer (connection refused, timeout, DNS).', action: 'Check the Ironic API URL and that the API runs.' },
  'ironic.bad_answer': { status: 502, meaning: 'Ironic answered with a body of another shape than its API documents for that call.', action: 'Check that the URL is Ironic’s API and its version (2023.1 or later); report the message.' },
  'ironic.failed': { status: 500, meaning: 'A call to Ironic failed without an HTTP answer Anvil understands.', action: 'Look at the message and the log; retry.' },
  'ironic.provision_failed': { status: 502, meaning: 'The node Anvil waited for reached a failed provision state.', action: 'Read the node’s last_error (the agent’s code is in brackets) and fix that cause.' },
  'ironic.wait_timeout': { status: 504, meaning: 'The node did not reach the wanted provision state in time.', action: 'Look at the node’s state and the agent log; raise the timeout if the deploy is just slow.' },
  'glance.unreachable': { status: 502, meaning: 'Glance did not answer.', action: 'Check the Glance endpoint in the Keystone catalog and that Glance runs.' },
  'glance.failed': { status: 500, meaning: 'A call to Glance failed without an HTTP answer Anvil understands.', action: 'Look at the message and the log; retry.' },
  'keystone.unreachable': { status: 502, meaning: 'Keystone did not answer.', action: 'Check the Keystone auth URL and that Keystone runs.' },
  'keystone.failed': { status: 500, meaning: 'A call to Keystone failed without an HTTP answer Anvil understands.', action: 'Look at the message and the log; retry.' },
  'keystone.no_endpoint': { status: 502, meaning: 'The Keystone catalog has no endpoint of the wanted service type, interface and region.', action: 'Register the endpoint, or set the interface/region Anvil uses.' },
  'keystone.no_token': { status: 502, meaning: 'Keystone answered an authentication without an X-Subject-Token header.', action: 'Check what answers at the auth URL (a proxy?).' },
  'keystone.no_user': { status: 502, meaning: 'The service token names no user, so no application credential can be made for the agent.', action: 'Give the service a user’s credentials, not a bare token.' },
  'keystone.no_secret': { status: 502, meaning: 'Keystone created an application credential without returning its secret.', action: 'Check the Keystone version and policy; report it.' },
  // Plans: compiling and converting
  'compile.invalid_plan': { status: 400, meaning: 'A plan that does not validate was given to the compiler.', action: 'Fix the validation errors (`anvil plan validate`).' },
  'compile.no_inventory': { status: 400, meaning: 'Compiling needs an inventory that resolves every disk of the plan.', action: 'Give `--inventory` (or run on the machine, where the agent reads it).' },
  'compile.invalid_type': { status: 400, meaning: 'A partition type does not exist in the disk’s table kind.', action: 'Use a type of that table (GPT GUIDs or names on gpt, MBR bytes on msdos).' },
  'compile.unknown_device': { status: 500, meaning: 'The compiler found no device for an id of a validated plan (a bug).', action: 'Report it with the plan and inventory.' },
  'convert.invalid_input': { status: 400, meaning: 'The file given to `anvil plan convert` is not a Nailgun provision.json or bareon deploy_config.', action: 'Check `--from` and the file.' },
  // The anvil command
  'cli.read_failed': { status: 400, meaning: 'A file named on the command line cannot be read.', action: 'Check the path and permissions.' },
  'cli.input_too_large': { status: 413, meaning: 'A file (or standard input) named on the command line is larger than any plan or inventory may be; reading stopped at the bound.', action: 'Check that the right file is named; a plan is at most 32 MiB of text (docs/reference/validation-codes.md, `plan.too_large`).' },
  'cli.parse_failed': { status: 400, meaning: 'A file named on the command line is not JSON or YAML.', action: 'Fix the syntax at the place the message names.' },
  'cli.bad_configdrive': { status: 400, meaning: '`--configdrive` is neither JSON, an ISO 9660 image nor gzip+base64 text.', action: 'Give one of those forms.' },
  'cli.bad_checksum': { status: 400, meaning: '`--checksum` is not `sha256:<hex>`, `sha512:<hex>` or `md5:<hex>`.', action: 'Give the checksum in that form.' },
  'cli.cloud_not_found': { status: 400, meaning: 'The cloud named by `--os-cloud` or `OS_CLOUD` is in none of the clouds.yaml files searched.', action: 'Check the name, or point `OS_CLIENT_CONFIG_FILE` at the clouds.yaml that has it; the message lists the files searched and the clouds they hold.' },
  'cli.cloud_incomplete': { status: 400, meaning: 'The cloud (or the `OS_*` variables) lacks what its auth type needs, e.g. `auth_url` or a password.', action: 'Add the fields the message names.' },
  'cli.cloud_auth_type': { status: 400, meaning: 'The cloud’s `auth_type` is not one the anvil command speaks (password, v3password, v3applicationcredential, token, v3token).', action: 'Use one of those, e.g. an application credential.' },
  'cli.cloud_unreadable': { status: 400, meaning: 'A clouds.yaml, secure.yaml or `cacert` file cannot be read or parsed.', action: 'Fix the file the message names.' },
  'cli.service_unreachable': { status: 502, meaning: 'The driver-service did not answer the command.', action: 'Check `--service` and that the service runs.' },
  'deploy.failed': { status: 502, meaning: '`anvil deploy --wait`: Ironic recorded the deploy as failed.', action: 'Read the message (the node’s last_error, with the agent’s code in brackets).' },
  'deploy.timeout': { status: 504, meaning: '`anvil deploy --wait`: the node did not become active in time.', action: 'Look at the node and the agent log; raise `--timeout` if it is just slow.' },
  // Provisioning on the machine
  'provision.plan_unreadable': { status: 400, meaning: 'The plan given to `anvil provision` cannot be read (file or URL).', action: 'Check the path or URL.' },
  'provision.invalid_plan': { status: 400, meaning: 'The plan is not valid for this machine’s disks; nothing was touched.', action: 'Fix the listed problems (codes in docs/reference/validation-codes.md) or the disk selectors.' },
  'inventory.lsblk_unreadable': { status: 500, meaning: 'lsblk’s JSON is not what the agent expects.', action: 'Check the util-linux of the ramdisk; report it with lsblk’s output.' },
  'state.unreadable': { status: 500, meaning: 'The state file of a resumed run is not an Anvil state file.', action: 'Remove it and start over without `--resume`.' },
  'state.plan_changed': { status: 409, meaning: 'The state file belongs to another plan or inventory, so the run cannot resume.', action: 'Start over without `--resume` (or resume with the plan that was running).' },
  'teardown.unknown_disk': { status: 400, meaning: 'Teardown was asked for a block device that does not exist.', action: 'Check the disks the plan selects against the machine’s inventory.' },
  'teardown.foreign_holder': { status: 409, meaning: 'A device built on the plan’s disks (an array, a VG) also uses disks the plan does not name.', action: 'Stop it by hand, or name those disks in the plan.' },
  'teardown.tool_missing': { status: 500, meaning: 'A tool that teardown needs (mdadm, lvm, …) is not installed.', action: 'Add the tool to the ramdisk (docs/reference/tools.md lists the packages).' },
  'teardown.not_clear': { status: 500, meaning: 'The disks are still in use after teardown (mounts, arrays, device-mapper); the message shows the tree.', action: 'Find what holds them (the tree names it), stop it and run again.' },
  'exec.command_failed': { status: 500, meaning: 'A command the agent ran failed or timed out; the message has its last output.', action: 'Read the output; the action and step are in the details.' },
  'exec.undeclared_command': { status: 500, meaning: 'A handler asked for a probe or stream process its action does not declare (a bug in Anvil: the action would not be the whole truth).', action: 'Report it with the plan and the agent log.' },
  'exec.unfilled_command': { status: 500, meaning: 'A compiled command has a `{placeholder}` the handler had no value for (a bug in Anvil).', action: 'Report it with the plan and the agent log.' },
  'exec.failed': { status: 500, meaning: 'An action failed in a way that has no code of its own.', action: 'Read the message and the agent log.' },
  'exec.device_missing': { status: 500, meaning: 'Partition devices did not appear after the table was re-read.', action: 'Check udev in the ramdisk, and that nothing holds the disk.' },
  'exec.unknown_device': { status: 500, meaning: 'An action names a device of a kept filesystem the run does not know (a bug).', action: 'Report it with the plan.' },
  'exec.unknown_image': { status: 500, meaning: 'An action names an image the plan does not have (a bug).', action: 'Report it with the plan.' },
  'verify.layout_mismatch': { status: 409, meaning: 'Under `policy.data: verify` a disk’s table or partitions differ from the plan.', action: 'Correct the plan to the disk as it is, or use `clean` if the data may go.' },
  'verify.filesystem_missing': { status: 409, meaning: 'A kept filesystem is not on its device (no UUID).', action: 'Check the device; drop `keep` if the filesystem is really gone.' },
  // Images
  'image.source_invalid': { status: 400, meaning: 'An image source has neither url, file nor glance.', action: 'Give one of them.' },
  'image.file_missing': { status: 404, meaning: 'An image `file` does not exist on the machine.', action: 'Check the path inside the ramdisk.' },
  'image.glance_endpoint_missing': { status: 400, meaning: 'A Glance image source lacks glance.endpoint (the driver-service fills it).', action: 'Deploy Glance images through the driver-service.' },
  'image.http_error': { status: 502, meaning: 'The image server answered an HTTP error.', action: 'Check the image URL and the server; the status is in the details.' },
  'image.resume_refused': { status: 502, meaning: 'An interrupted download could not resume: the server ignored the Range request.', action: 'Serve the image from a server that honours Range, or fix the connection that breaks.' },
  'image.length_mismatch': { status: 502, meaning: 'The server sent more bytes than its Content-Length.', action: 'Check the image server (or a proxy in between).' },
  'image.short_read': { status: 502, meaning: 'The image ended before its length (Content-Length, or the source stream).', action: 'Check the network and the server; the download was retried before this.' },
  'image.download_failed': { status: 502, meaning: 'The image download failed after every retry.', action: 'Check the network and the image server.' },
  'image.checksum_mismatch': { status: 502, meaning: 'The image’s checksum is not the one the plan expects.', action: 'Check the checksum in the plan (instance_info) and that the right image is served.' },
  'image.decompress_failed': { status: 502, meaning: 'The decompressor rejected the image (corrupt, or not the compression its name says).', action: 'Check the image file and its format.' },
  'image.format_mismatch': { status: 400, meaning: 'The image is qcow2 but the plan says raw.', action: 'Set `format: qcow2` (or instance_info.image_disk_format).' },
  'image.too_large': { status: 409, meaning: 'The image is larger than its target device.', action: 'Use a larger disk or partition, or a smaller image.' },
  'image.write_failed': { status: 500, meaning: 'The program writing the image to the device failed.', action: 'Read its output in the message; check the disk.' },
  'image.qcow2_headers': { status: 501, meaning: 'A qcow2 image the streamer refused (subclusters, a backing file …) comes from a source that needs request headers (Glance tokens), which qemu-img cannot send.', action: 'Convert the image to raw or to a plain qcow2 (`qemu-img convert -O qcow2`), or serve it over plain http(s).' },
  'image.qcow2_invalid': { status: 400, meaning: 'The qcow2 header or its L1/L2 tables are broken (bad magic or version, a table entry off a cluster boundary, a table cut short, marked corrupt).', action: 'Check the image with `qemu-img check`; repair or convert it again.' },
  'image.qcow2_changed': { status: 409, meaning: 'The qcow2 tables read ahead with range requests differ from the same bytes in the download: the file changed on the server during the deploy.', action: 'Do not replace an image while nodes deploy from it; deploy again.' },
  'image.qcow2_decompress_failed': { status: 400, meaning: 'A compressed qcow2 cluster did not inflate to a whole cluster (deflate or zstd).', action: 'Check the image with `qemu-img check`; convert it again.' },
  'image.range_unsupported': { status: 502, meaning: 'The image server ignored an HTTP Range request; a qcow2 image is read out of order (its tables) and needs Range support.', action: 'Serve the image from a server with Range support (any static web server, Glance, Swift), or convert it to raw.' },
  'image.qcow2_stalled': { status: 504, meaning: 'qemu-img moved no bytes for the stall limit, three runs in a row.', action: 'Check the image server; it may hang on connections.' },
  'image.tar_failed': { status: 500, meaning: 'tar could not extract the image into the root filesystem.', action: 'Check the tarball and the free space of the target.' },
  'image.fsck_failed': { status: 500, meaning: 'e2fsck found errors it could not fix in a filesystem image after writing it.', action: 'Check the image; rebuild it.' },
  // Config drives
  'configdrive.invalid_encoding': { status: 400, meaning: 'A config drive is neither base64+gzip, gzip nor an ISO 9660 image.', action: 'Give the config drive the way Ironic does (gzip+base64 of the ISO), or its URL.' },
  'configdrive.too_large': { status: 400, meaning: 'The config drive is larger than its partition (at most 64 MiB).', action: 'Make the config drive smaller.' },
  'configdrive.no_table': { status: 409, meaning: 'The disk has no partition table after its image was written, so no config drive partition can be added.', action: 'Use a whole-disk image with a partition table.' },
  'configdrive.mbr_no_slot': { status: 409, meaning: 'The MBR table has four primary partitions; no slot is left for the config drive.', action: 'Free a primary slot in the image, or use GPT.' },
  'configdrive.no_space': { status: 409, meaning: 'No room after the last partition for the config drive.', action: 'Leave room for the config drive (up to 64 MiB) after the last partition of the image.' },
  'configdrive.readback_failed': { status: 500, meaning: 'The config drive read back from its partition differs from what was written.', action: 'Check the disk.' },
  // The deploy ramdisk agent
  'agent.cmdline_unreadable': { status: 500, meaning: 'The agent cannot read the kernel command line.', action: 'Check /proc is mounted in the ramdisk (or give `--cmdline`).' },
  'agent.bad_bootif': { status: 400, meaning: '`BOOTIF=` on the kernel command line is not a MAC address.', action: 'Check the boot configuration that adds it.' },
  'agent.no_api_url': { status: 400, meaning: 'No Ironic API URL: no `ipa-api-url=` on the kernel command line and no `--api-url`.', action: 'Boot the ramdisk through Ironic (it adds the URL) or give `--api-url`.' },
  'agent.bad_config': { status: 400, meaning: 'An agent setting (flag or kernel argument) is not valid.', action: 'Fix the setting the message names.' },
  'agent.no_address': { status: 503, meaning: 'No network interface got an IP address in time.', action: 'Check DHCP on the provisioning network and the boot interface.' },
  'agent.listen_failed': { status: 500, meaning: 'The agent cannot listen on its API port.', action: 'Free the port (9999 by default) or choose another.' },
  'agent.ironic_version': { status: 502, meaning: 'Ironic’s root answered without a default API version.', action: 'Check that the API URL is Ironic’s.' },
  'agent.ironic_too_old': { status: 502, meaning: 'Ironic’s API is older than agent tokens (1.62).', action: 'Use an Ironic whose API has agent tokens (1.62 or later).' },
  'agent.lookup_unreadable': { status: 502, meaning: 'Ironic’s lookup answer is not what the agent expects.', action: 'Check the Ironic version; report it with the answer.' },
  'agent.lookup_timeout': { status: 504, meaning: 'Ironic returned no node for the agent’s MACs in time.', action: 'Enrol a port with the boot MAC, and deploy or clean the node.' },
  'agent.stopped': { status: 503, meaning: 'The agent was stopped while it looked its node up.', action: 'None; it is shutting down.' },
  'agent.inspection_refused': { status: 502, meaning: 'ironic-inspector refused the inspection data the agent posted to `ipa-inspection-callback-url` (e.g. no node with these MACs is being inspected).', action: 'Read inspector’s message in the agent log; check the node is in `inspect wait` and its ports carry the machine’s MACs.' },
  'agent.token_already_issued': { status: 409, meaning: 'Ironic issued the node’s agent token to an earlier agent of this boot and no copy was kept.', action: 'Reboot the node into the ramdisk (or abort the deploy and start again).' },
  'agent.bad_params': { status: 400, meaning: 'A clean or deploy step command has parameters the agent does not understand.', action: 'Check the Ironic version and the step arguments.' },
  'agent.unknown_step': { status: 400, meaning: 'Ironic asked for a clean or deploy step the agent does not have.', action: 'Use the agent’s steps (docs/ironic.md lists them).' },
  'agent.unexpected': { status: 500, meaning: 'A command failed with an error that is not an AnvilError (a bug); reported as the command’s anvil_code.', action: 'Read the agent log; report it.' },
  'plan.bad_step_args': { status: 400, meaning: 'The deploy step arguments (plan, plan_url) do not have the expected shape.', action: 'Fix the step arguments.' },
  'plan.too_deep': { status: 422, meaning: 'A plan to be filled (a layout, or the plan of a deploy) nests objects and lists deeper than 64 levels; it is refused before the placeholders are filled.', action: 'Flatten the plan as the pointer in the message shows; a plan’s own fields go 8 deep (docs/reference/validation-codes.md, `plan.too_deep`).' },
  'plan.masked': { status: 400, meaning: 'The plan or its URL reached the agent masked by Ironic (keys with words like secret are hidden from the ramdisk).', action: 'Serve the plan from the driver-service; re-adopt the node so its URL carries the secret in the path.' },
  'plan.fetch_refused': { status: 502, meaning: 'The plan server (the driver-service) refused the plan; its code and message follow.', action: 'Act on the service’s code (in this table).' },
  'plan.fetch_failed': { status: 502, meaning: 'The agent could not fetch its plan after retries.', action: 'Check that the ramdisk reaches the driver-service URL in driver_info.anvil_metadata_url.' },
  'instance.no_plan': { status: 400, meaning: 'Nothing to deploy: no plan in the step arguments, the driver-service or instance_info, and no image_source.', action: 'Adopt the node with the driver-service, or set instance_info.image_source.' },
  'instance.bad_field': { status: 400, meaning: 'An instance_info field has the wrong shape.', action: 'Fix the field the message names.' },
  'instance.bad_checksum': { status: 400, meaning: 'instance_info’s checksum is not a supported digest, or the checksums file has no entry for the image.', action: 'Give an md5, sha256 or sha512 digest (or a checksums file that lists the image).' },
  'instance.bad_image_source': { status: 400, meaning: 'instance_info.image_source is not an http(s) or file URL or a Glance UUID.', action: 'Give one of those.' },
  'instance.glance_image': { status: 400, meaning: 'A Glance image without the driver-service: the agent has no Glance credentials.', action: 'Deploy through the driver-service, or give an http(s) URL.' },
  'instance.partition_image': { status: 400, meaning: 'A partition image without a plan; the standalone layout writes whole-disk images only.', action: 'Give a plan (instance_info.anvil_plan or the driver-service) that places the filesystem image.' },
  'instance.bad_disk_format': { status: 400, meaning: 'instance_info.image_disk_format is not raw or qcow2.', action: 'Convert the image to raw or qcow2.' },
  'instance.root_device_hint': { status: 400, meaning: 'A root device hint Anvil does not support.', action: 'Use the supported hints the message lists.' },
  'instance.no_root_device': { status: 409, meaning: 'No disk of at least 4 GiB to deploy to.', action: 'Set root device hints that select the disk, or check the machine’s disks.' },
  // Bootstrap store
  'bootstrap.archive_unreadable': { status: 400, meaning: 'A bootstrap archive is not a readable tar.gz (or has an entry that is not a plain file or directory, or leaves its directory).', action: 'Check the file; build it again (`anvil bootstrap build`) or pack it as docs/bootstrap.md says.' },
  'bootstrap.missing_file': { status: 422, meaning: 'A bootstrap archive lacks a mandatory file (metadata.yaml, linux, initramfs.img, and root.squashfs for a live image) or a file its metadata lists.', action: 'Add the file the message names and pack the archive again.' },
  'bootstrap.bad_metadata': { status: 422, meaning: 'A bootstrap’s metadata.yaml is not YAML or lacks a mandatory field (uuid, distro, extend_kopts) or has a field of the wrong shape.', action: 'Fix the fields the message lists (docs/bootstrap.md describes them).' },
  'bootstrap.checksum_mismatch': { status: 422, meaning: 'A file of a bootstrap archive does not have the sha256 or size its metadata.yaml gives.', action: 'The archive is damaged or was changed: copy or build it again.' },
  'bootstrap.duplicate': { status: 409, meaning: 'The store already holds a bootstrap of that uuid, or of that label.', action: 'Delete the stored one first (`anvil bootstrap delete UUID`), or give the new image another label.' },
  'bootstrap.not_found': { status: 404, meaning: 'The store holds no bootstrap of that uuid (or the file asked for is not one it serves).', action: 'List the store (`anvil bootstrap list`) and use one of its uuids.' },
  'bootstrap.is_active': { status: 409, meaning: 'The active bootstrap cannot be deleted: nodes boot from it.', action: 'Activate another image first (`anvil bootstrap activate UUID`), then delete this one.' },
  'bootstrap.store_failed': { status: 500, meaning: 'The bootstrap store directory cannot be read or written.', action: 'Check the store path (`--store`, ANVIL_BOOTSTRAP_STORE, the service’s `bootstrap_store`), its permissions and free space.' },
  'bootstrap.repoint_failed': { status: 502, meaning: 'The image was activated, but Ironic refused the new deploy_kernel/deploy_ramdisk of some adopted nodes.', action: 'Read the nodes and reasons in the message; fix them and activate the image again (activation is idempotent).' },
  'node.not_found': { status: 404, meaning: 'The driver-service has not adopted a node of that uuid.', action: 'Adopt the node (`anvil node adopt`).' },
} as const satisfies Record<string, ErrorInfo>;

/**
 * Codes made of a prefix and an HTTP status: a service's answer passed on. Their status is the one in the code
 * (Ironic's 404 stays a 404 for the driver-service's caller).
 */
export const ERROR_FAMILIES = {
  'ironic.http_<status>': { meaning: 'Ironic answered an HTTP error; the message carries Ironic’s own.', action: 'Act on Ironic’s message (409: the node is locked or busy; retry later).' },
  'glance.http_<status>': { meaning: 'Glance answered an HTTP error (404: no such image).', action: 'Act on Glance’s message.' },
  'keystone.http_<status>': { meaning: 'Keystone answered an HTTP error (401: the credentials are wrong).', action: 'Check the credentials and Keystone’s message.' },
  'cli.http_<status>': { meaning: 'The driver-service answered an error without a code this anvil knows.', action: 'Read the message; the service may be of another version.' },
} as const satisfies Record<string, Omit<ErrorInfo, 'status'>>;

export type CataloguedCode = keyof typeof ERRORS;
type Family = keyof typeof ERROR_FAMILIES;
/** `'ironic.http_<status>'` → `` `ironic.http_${number}` ``: the family's codes as a template type. */
type FamilyCode<F extends Family> = F extends `${infer P}<status>` ? `${P}${number}` : never;
export type ErrorCode = CataloguedCode | FamilyCode<Family>;

const FAMILY = /^([a-z]+\.http_)(\d{3})$/;

/** Whether a string (from a remote error body, say) is a code of this catalogue. */
export function isErrorCode(code: unknown): code is ErrorCode {
  if (typeof code !== 'string') return false;
  if (Object.hasOwn(ERRORS, code)) return true;
  const m = FAMILY.exec(code);
  return m !== null && Object.hasOwn(ERROR_FAMILIES, `${m[1]!}<status>`);
}

/** The HTTP status a code answers by default. */
export function statusOf(code: ErrorCode): number {
  if (Object.hasOwn(ERRORS, code)) return ERRORS[code as CataloguedCode].status;
  const status = Number(FAMILY.exec(code)?.[2]);
  // A family code carries its service's status; one outside 4xx/5xx would not be an error answer.
  return status >= 400 && status < 600 ? status : 502;
}
