// RoPE cos/sin tables (float32, then the fp16 the model uses) equal torch's, bit for bit. The digests were made by
// scripts/rope-torch-digests.py with torch 2.13.0+cpu on x86-64 / glibc 2.36 (float32 powf, cosf, sinf as torch
// calls them); the cases cover head_dim 16, 28, 32, 128, theta 1e4 and 5e5, and the Llama-3.1 scaled frequencies.
// Tables have 2*seq_len rows (positions 0..2*seq_len-1) of head_dim/2 columns.
import t from 'tap';
import { core, sha256 } from './core-helpers.js';

const C = core();
const BASE = { n_layers: 1, vocab_size: 100, ffn_dim_multiplier: 1.0, multiple_of: 32 };

const CASES: [string, Record<string, number | boolean>, Record<string, string>][] = [
  ['tiny-gqa', {"dim": 64, "n_heads": 4, "n_kv_heads": 2, "rope_theta": 500000.0, "seq_len": 8},
    { freqs: '952af9c7937e72199fbb59b37e1f2de24b1f2d60bb030ed97693afc6b422acf0',
      cos: 'f3f6d920a68f88aa5420b8d3592fe60f35ebdd89a6da96a97486036d31fb77f4',
      sin: '2b8eef26ed5e26a6192886a10af83d78eb18e49aca08bc7c94d600f947bea08a',
      cos_f16: 'ae79ee0461493148d92daad3bd16e915d857b496cc4eeb1810057ea09cb4c5b2',
      sin_f16: 'ba2723a3ea60474014230ae4255da90cebf9c324df50fae4561e31341789f38b' }],
  ['small-hd28', {"dim": 112, "n_heads": 4, "n_kv_heads": 4, "rope_theta": 10000.0, "seq_len": 32},
    { freqs: '4930625a739eafa02e2d6299c664319175a47329285e9b1f0104e9c9ee68820f',
      cos: 'a98cdcac56a860f2380725c7ed6a994acead65a81f19b25fd1ed64327c580225',
      sin: 'c131ca04575af14333639445a5dac6b9e982c51d1d49246f2109799555229964',
      cos_f16: '2c59410dd344678f533363bcc703c6a543d1dff2384fc89be076449184722bcb',
      sin_f16: 'f8ec21818383caa1fb0ae5cc88248441a473cdf7ae92f8f21aac84d59129fc45' }],
  ['scaled-rope', {"dim": 96, "n_heads": 3, "n_kv_heads": 1, "rope_theta": 500000.0, "use_scaled_rope": true, "seq_len": 24},
    { freqs: '6d92539c0eff9c64d6a443374e55770a00728f74e05c7b8bccd28b7866b290d6',
      cos: '38aede50db49db5c89e141e7285a278e3b4d5584de27fddbbaa764e23efd5e7f',
      sin: '58fa4d806b56d669bc4c4cb89d980c758f130dc3bce302efaf73c39049deea93',
      cos_f16: '84f7d8fac7066a62f69df3f475506c82e1afa9e5aeef88019bb6c9b16890a7b3',
      sin_f16: 'aeed337ef91c8c998fd84662498facc9f97d57147ad778169eceb77c5549de93' }],
  ['v1', {"dim": 1024, "n_heads": 32, "n_kv_heads": 32, "rope_theta": 10000, "seq_len": 128},
    { freqs: '9cc63b858a37a16bf14e559754d6fee5f50ae74aabfce29fec9097b70902849c',
      cos: '6ff560566a903b6e75c7334263446aa59c7efecc5b0e2a957b60a248b1803a13',
      sin: 'f69764dacd7881a4469267c9ada6b57f383c31314fba1ff42a09c21364620305',
      cos_f16: 'e1459fcf3a68942d898161a5004d8f43738264783710c3fd6012528cee93f5c8',
      sin_f16: 'c475cc3571c2ce16dbb5698a7e781a957413d29be6fb180b707afbecb27a5bef' }],
  ['v2', {"dim": 1792, "n_heads": 64, "n_kv_heads": 64, "rope_theta": 10000, "seq_len": 256},
    { freqs: '4930625a739eafa02e2d6299c664319175a47329285e9b1f0104e9c9ee68820f',
      cos: 'decad7b72bda97e6708e1e4250db88015aa165a51f53f757088a99fb3d2bfc5e',
      sin: 'd2adb630673b65ae307a0ff25f6f60e5499ba89e90bcda9478731cdf092fecb0',
      cos_f16: 'ffd793f1d2fedd6e4e21ea6ae1ea783cde6f60a33e8a15f30108b35aa681e45a',
      sin_f16: '7ef667139967a825e41b94541022e68f1fca83986f71fe68db6448f99b775737' }],
  ['hd128-scaled', {"dim": 4096, "n_heads": 32, "n_kv_heads": 8, "rope_theta": 500000, "use_scaled_rope": true, "seq_len": 256},
    { freqs: '4ae228093081627907bb1abceaa696354a9d187a0202a20492a1105c1ade70e3',
      cos: '3332642191cfce0b16b899f6e7f904ec00db425b5ba86874444805816a338759',
      sin: '65b77525c479a6f9f756c7572d6b8be62f9ccf0728eee6c3acb38303cf2d94f2',
      cos_f16: '15b5a583c26ff4398666477b5fa66804175dd16592553d2418c6bcf838e7d6f0',
      sin_f16: '2888273aa6cde652447b5746c4613006195a02d308dd268496d09b9f44aa2f7a' }],
];

for (const [name, p, want] of CASES) {
  t.test(`${name}: RoPE freqs and float32/fp16 cos/sin tables equal torch's`, async (t) => {
    const r = C.ropeTables({ ...BASE, ...p });
    t.equal(r.cos.length, 2 * (p.seq_len as number) * ((p.dim as number) / (p.n_heads as number) / 2), 'shape');
    t.equal(sha256(r.freqs), want.freqs, 'freqs');
    t.equal(sha256(r.cosF32), want.cos, 'cos float32');
    t.equal(sha256(r.sinF32), want.sin, 'sin float32');
    t.equal(sha256(r.cos), want.cos_f16, 'cos fp16');
    t.equal(sha256(r.sin), want.sin_f16, 'sin fp16');
  });
}
