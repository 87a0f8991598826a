import { describe, expect, it } from 'vitest';
import { needsAwsEnv } from '../../dispatcher/job-process-launcher.js';
import { awsEnv, childEnv, isAllowedChildEnv } from '../../runtime/child-env.js';

describe('childEnv', () => {
  it('passes the allow-list only, never secrets, NODE_OPTIONS or unknown variables; ebbflow\'s own values win', () => {
    const parent = {
      PATH: '/usr/bin', HOME: '/home/u', LANG: 'C.UTF-8', LC_ALL: 'C', TZ: 'UTC', TMPDIR: '/tmp',
      EBBFLOW_TOKEN: 't0ken', EBBFLOW_REDIS_URL: 'redis://:pw@h', AWS_SECRET_ACCESS_KEY: 'x', NODE_OPTIONS: '--require /tmp/evil.js',
      LD_PRELOAD: '/tmp/evil.so', EBBFLOW_JOB_SPEC_FILE: '/elsewhere',
    };
    expect(childEnv({ EBBFLOW_JOB_SPEC_FILE: '/data/logs/j/job-spec.json' }, parent)).toEqual({
      PATH: '/usr/bin', HOME: '/home/u', LANG: 'C.UTF-8', LC_ALL: 'C', TZ: 'UTC', TMPDIR: '/tmp', EBBFLOW_JOB_SPEC_FILE: '/data/logs/j/job-spec.json',
    });
    expect(childEnv({}, parent)).not.toHaveProperty('EBBFLOW_JOB_SPEC_FILE');
    for (const name of ['EBBFLOW_TOKEN', 'EBBFLOW_REDIS_URL', 'NODE_OPTIONS', 'LD_PRELOAD', 'LD_LIBRARY_PATH', 'EBBFLOW_DATA_DIR']) expect(isAllowedChildEnv(name), name).toBe(false);
  });

  it('passes the AWS variables only to a job whose state is on s3:// without s3.access-key', () => {
    const parent = { PATH: '/usr/bin', AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 'sk', AWS_REGION: 'eu-west-1', AWS_OTHER: 'no' };
    expect(childEnv(awsEnv(parent), parent)).toEqual({ PATH: '/usr/bin', AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 'sk', AWS_REGION: 'eu-west-1' });
    expect(isAllowedChildEnv('AWS_SECRET_ACCESS_KEY')).toBe(false);
    expect(needsAwsEnv({})).toBe(false);
    expect(needsAwsEnv({ 'state.checkpoints.dir': '/data/chk' })).toBe(false);
    expect(needsAwsEnv({ 'state.savepoints.dir': 's3://b-1/sp' })).toBe(true);
    expect(needsAwsEnv({ 'state.checkpoints.dir': 's3://b-1/chk', 's3.access-key': 'AKIA', 's3.secret-key': 'x' })).toBe(false);
  });
});
